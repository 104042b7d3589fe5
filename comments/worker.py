"""The worker: what runs beside the web server, one job after another, each in its own step.

Jobs today: make the notices of due dates near and steps slipped, mail the daily digests of notices, send
the outbox's mail, seal the audit trail into its hash chain (and publish its head once a
day), index new submissions for the staff's search, flag identical and near-identical texts (campaigns), carry out the transfers (異動) whose day has come, and delete what is kept no longer (contact data past its retention, once a day; old
inbox searches; files replaced by redacted copies). Each pass gives every job a share of work (its ``budget``) and runs it in its own
transactions: a job that fails is rolled back and logged, and the next job runs all the same; a job with
a backlog does its share and waits for the next pass, which starts at once while any job has more to do.
So a flood of mail never holds up the audit trail, and a broken search index never stops the mail.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app, render_template

from comments import clock
from comments.domain.audit import Actor, current_head, seal_events
from comments.domain.campaigns import consultations_with_new_submissions, lock_grouping, mark_similar_texts
from comments.domain.contact_data import delete_due_contact_data
from comments.domain.inbox import forget_old_searches
from comments.domain.notifications import notify_due_soon, notify_slipped_steps, send_digests
from comments.domain.outbox import enqueue_mail
from comments.domain.redactions import destroy_replaced
from comments.domain.search import index_pending_submissions
from comments.domain.transfers import carry_out_due_transfers
from comments.error_reporting import report_exception
from comments.extensions import db
from comments.logging_setup import log_context
from comments.mail.sender import send_due_messages
from comments.storage import blob_store

log = logging.getLogger(__name__)
WORKER_ACTOR = Actor("worker")


@dataclass(frozen=True)
class Job:
    """One kind of work: ``run(budget)`` does at most ``budget`` units, commits them, and returns how many."""

    name: str
    run: Callable[[int], int]
    budget: int


@dataclass(frozen=True)
class Outcome:
    job: str
    done: int
    failed: bool = False


def _in_batches(step: Callable[[int], int], budget: int, batch: int) -> int:
    """Call ``step(size)`` (which does up to ``size`` units and returns how many) and commit after each
    call, until ``budget`` units are done or a call finds nothing: on SQLite the write lock is then held
    for one batch at a time, so citizens' submissions wait milliseconds, never for a whole backlog."""
    done = 0
    while done < budget:
        count = step(min(batch, budget - done))
        db.session.commit()
        if not count:
            break
        done += count
    return done


# Contact data is deleted once a day: the deletion is due on a date, never at a minute.
CONTACT_DATA_EVERY = timedelta(days=1)
_contact_data_checked_at: datetime | None = None


def delete_contact_data(_budget: int) -> int:
    """Once a day, delete the contact data whose retention has ended; every pass, forget old searches and
    destroy the files redacted copies replaced that nothing holds any more."""
    global _contact_data_checked_at
    done = forget_old_searches()
    done += destroy_replaced(blob_store(), WORKER_ACTOR)
    now = clock.now()
    if _contact_data_checked_at is None or now - _contact_data_checked_at >= CONTACT_DATA_EVERY:
        done += len(delete_due_contact_data(actor=WORKER_ACTOR))
        _contact_data_checked_at = now
    db.session.commit()
    return done


# The audit trail's head is published once a day, outside the database (see domain/audit.py).
AUDIT_HEAD_EVERY = timedelta(days=1)
_head_published_at: datetime | None = None


def publish_audit_head(_budget: int) -> int:
    """Once a day, append the audit chain's head to ``AUDIT_HEAD_FILE`` and mail it to ``AUDIT_HEAD_MAIL_TO``
    (either may be unset), so a later deletion of the newest events or a rewrite of the chain shows
    against it (``flask audit verify --head``). Returns 1 when a head was published."""
    global _head_published_at
    now = clock.now()
    if _head_published_at is not None and now - _head_published_at < AUDIT_HEAD_EVERY:
        return 0
    _head_published_at = now
    head = current_head()
    if head is None:
        return 0
    config = current_app.config
    if config.get("AUDIT_HEAD_FILE"):
        path = Path(config["AUDIT_HEAD_FILE"])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as published:
            published.write(head.line() + "\n")
    if config.get("AUDIT_HEAD_MAIL_TO"):
        enqueue_mail(
            to=config["AUDIT_HEAD_MAIL_TO"],
            subject=f"audit trail head {head.seq}",
            body=render_template("mail/audit_head.txt", head=head),
        )
        db.session.commit()
    log.info("audit head published: seq %s", head.seq)
    return 1


def flag_campaigns(budget: int) -> int:
    """Group the submissions of up to ``budget`` consultations that received new ones, one consultation per
    transaction; one that fails is logged and tried again next pass, and the others go on. Returns how many
    consultations were grouped. A consultation another worker is grouping at this moment is left to it."""
    done = 0
    for consultation_id in consultations_with_new_submissions(budget):
        try:
            if not lock_grouping(consultation_id, wait=False):
                db.session.rollback()
                continue
            mark_similar_texts(consultation_id)
            db.session.commit()
            done += 1
        except Exception:
            db.session.rollback()
            log.exception("grouping the texts of consultation %s failed; the next pass tries again", consultation_id)
    return done


def send_mail(budget: int) -> int:
    """Send due mail (commits per message), at most ``budget`` messages."""
    return send_due_messages(limit=budget).handled


def seal_audit(budget: int, *, batch: int = 1000) -> int:
    """Seal pending audit events into the hash chain, a batch per transaction."""
    return _in_batches(lambda size: seal_events(limit=size), budget, batch=batch)


def index_search(budget: int, *, batch: int = 500) -> int:
    """Index new submissions for the staff's search, a batch per transaction."""
    return _in_batches(index_pending_submissions, budget, batch=batch)


# Due dates and the schedule change by the day: looking every quarter of an hour is soon enough.
NOTICE_SCAN_EVERY = timedelta(minutes=15)
_notices_scanned_at: datetime | None = None


def scan_for_notices(_budget: int) -> int:
    """Every quarter of an hour, tell department staff of due dates near and the secretariat of steps that
    slipped (comments/domain/notifications.py; each notice once). Returns how many notices and steps."""
    global _notices_scanned_at
    now = clock.now()
    if _notices_scanned_at is not None and now - _notices_scanned_at < NOTICE_SCAN_EVERY:
        return 0
    done = notify_due_soon()
    db.session.commit()
    done += notify_slipped_steps(actor=WORKER_ACTOR)
    db.session.commit()
    _notices_scanned_at = now
    return done


def send_notification_digests(budget: int) -> int:
    """After the digest hour, each person's daily digest of notices (one transaction a person)."""
    return send_digests(budget, actor=WORKER_ACTOR)


def carry_out_transfers(_budget: int) -> int:
    """Carry out the transfers (異動) recorded ahead whose day has come in Japan: the person keeps only what the
    new post needs, and their open sessions end. Each pass, so the access goes at the start of the day."""
    done = carry_out_due_transfers(WORKER_ACTOR)
    db.session.commit()
    return done


JOBS: tuple[Job, ...] = (
    Job("mail", send_mail, budget=200),
    Job("audit", seal_audit, budget=10_000),
    Job("audit-head", publish_audit_head, budget=1_000_000),
    Job("search", index_search, budget=5_000),
    Job("campaigns", flag_campaigns, budget=5),
    Job("retention", delete_contact_data, budget=1_000_000),
    Job("transfers", carry_out_transfers, budget=1_000_000),
    # Their mail goes in the next pass's "mail".
    Job("notices", scan_for_notices, budget=1_000_000),
    Job("digests", send_notification_digests, budget=200),
)


def run_job(job: Job) -> Outcome:
    """Run one job's share; a failure is rolled back and logged, never raised, so the next job still runs.
    Every line the job logs carries its name where a request's lines carry the request id."""
    with log_context(f"worker:{job.name}"):
        try:
            return Outcome(job.name, job.run(job.budget))
        except Exception as error:
            db.session.rollback()
            log.exception("worker job %s failed; the next pass tries again", job.name)
            report_exception(error)
            return Outcome(job.name, 0, failed=True)


def run_pass(jobs: Sequence[Job] = JOBS) -> list[Outcome]:
    """Every job once, in order; the session is removed afterwards so each pass reads fresh rows."""
    try:
        return [run_job(job) for job in jobs]
    finally:
        db.session.remove()


def run_worker(interval: float, *, jobs: Sequence[Job] = JOBS, stop_after: int | None = None) -> dict[str, int]:
    """Loop over the jobs until stopped; sleep ``interval`` seconds after a pass in which every job finished
    its work, none after a pass that left work waiting. ``stop_after`` bounds the passes (tests).
    Returns how much each job did in all."""
    totals = {job.name: 0 for job in jobs}
    passes = 0
    while stop_after is None or passes < stop_after:
        outcomes = run_pass(jobs)
        passes += 1
        for job, outcome in zip(jobs, outcomes, strict=True):
            totals[job.name] += outcome.done
        backlog = any(outcome.done >= job.budget for job, outcome in zip(jobs, outcomes, strict=True))
        if not backlog and (stop_after is None or passes < stop_after):
            time.sleep(interval)
    return totals
