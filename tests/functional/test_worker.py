"""The worker's jobs run each in its own step: one job's failure or backlog never holds up another."""

from __future__ import annotations

from sqlalchemy import select

from comments.domain.audit import SYSTEM, record_event
from comments.domain.outbox import enqueue_mail
from comments.extensions import db
from comments.models import AuditEvent, OutboxMessage, OutboxStatus
from comments.worker import JOBS, Job, run_pass, run_worker, seal_audit, send_mail
from tests.factories import make_consultation


def _pending_event() -> int:
    consultation = make_consultation()
    record_event(SYSTEM, "test.touched", consultation)
    db.session.commit()
    return db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))


def _seq_of(event_id: int):
    return db.session.scalar(select(AuditEvent.seq).where(AuditEvent.id == event_id))


def _broken(_budget: int) -> int:
    db.session.execute(select(AuditEvent.id).limit(1))  # it had begun work when it failed
    raise RuntimeError("the search index is broken")


def test_a_failing_job_is_reported_and_the_next_job_still_runs(app):
    event_id = _pending_event()
    with app.app_context():
        outcomes = run_pass((Job("broken", _broken, budget=10), Job("audit", seal_audit, budget=10_000)))
    assert [(outcome.job, outcome.failed) for outcome in outcomes] == [("broken", True), ("audit", False)]
    assert outcomes[1].done >= 1
    assert _seq_of(event_id) is not None


def test_a_backlog_of_mail_gets_its_share_and_the_audit_trail_is_sealed_in_the_same_pass(app):
    with app.app_context():
        for number in range(3):
            enqueue_mail(to=f"citizen{number}@example.jp", subject="受付", body="本文")
        db.session.commit()
    event_id = _pending_event()
    with app.app_context():
        totals = run_worker(5.0, jobs=(Job("mail", send_mail, budget=1), JOBS[1]), stop_after=1)
    assert totals["mail"] == 1  # its share: one message, however many wait
    assert _seq_of(event_id) is not None  # sealed in the same pass
    waiting = db.session.scalar(
        select(db.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending, OutboxMessage.attempts == 0)
    )
    assert waiting >= 2


def test_the_worker_sleeps_only_once_every_job_has_caught_up(app, monkeypatch):
    left = {"units": 3}

    def backlog(budget: int) -> int:
        done = min(budget, left["units"])
        left["units"] -= done
        return done

    sleeps = []
    monkeypatch.setattr("comments.worker.time.sleep", sleeps.append)
    with app.app_context():
        totals = run_worker(5.0, jobs=(Job("backlog", backlog, budget=1),), stop_after=5)
    # Passes 1-3 each do one unit and leave more waiting: no sleep; pass 4 finds nothing: sleep; pass 5 is the last.
    assert totals == {"backlog": 3}
    assert sleeps == [5.0]


def test_the_worker_knows_its_jobs_by_name():
    assert [job.name for job in JOBS] == [
        "mail",
        "audit",
        "audit-head",
        "search",
        "campaigns",
        "retention",
        "transfers",
        "notices",
        "digests",
    ]
    assert all(job.budget > 0 for job in JOBS)
