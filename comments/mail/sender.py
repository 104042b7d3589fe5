"""The outbox worker: claims due messages, sends them through Flask-Mail, retries with backoff.

Delivery is at-least-once. A worker claims a row by setting a lease; if it dies between the SMTP
server's acceptance and marking the row sent, the lease runs out and the row is sent again with the
same Message-ID (minted when the row was written), which lets the receiving side drop the duplicate.
Two workers never hold the same row: PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` (R49), and
SQLite serialises writers (each claim runs in a ``BEGIN IMMEDIATE`` transaction, see extensions setup).
The worker loop also seals the audit trail's hash chain each pass (see ``comments.domain.audit``).
"""

from __future__ import annotations

import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_mail import Message
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from comments import clock
from comments.domain.audit import seal_events
from comments.extensions import db, mail
from comments.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __iadd__(self, other: SendReport) -> SendReport:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        return self


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: 30 s, 1 min, 2 min, ... capped at one hour."""
    return timedelta(seconds=min(BACKOFF_FIRST_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def due_messages_query(now, limit: int):
    """Due, unclaimed messages, locked for this transaction; rows another worker holds are skipped."""
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.pending,
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.leased_until.is_(None), OutboxMessage.leased_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def claim_due_messages(limit: int) -> list[int]:
    """Lease up to ``limit`` due messages to this worker and commit the lease; return their ids."""
    now = clock.now()
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    rows = db.session.execute(due_messages_query(now, limit)).scalars().all()
    for row in rows:
        row.leased_until = now + lease
    ids = [row.id for row in rows]
    db.session.commit()
    return ids


def build_message(row: OutboxMessage) -> Message:
    message = Message(
        subject=row.subject,
        recipients=[row.to_address],
        body=row.body_text,
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        charset="utf-8",
        extra_headers={"Auto-Submitted": "auto-generated"},
    )
    message.msgId = row.message_id
    return message


def send_one(message_id: int) -> SendReport:
    """Send one claimed message and record the outcome; never raises for a delivery failure."""
    row = db.session.get(OutboxMessage, message_id)
    report = SendReport()
    if row is None or row.status != OutboxStatus.pending:
        return report
    try:
        mail.send(build_message(row))
    except (smtplib.SMTPException, OSError) as error:
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:1000]
        row.leased_until = None
        if row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            row.status = OutboxStatus.failed
            report.failed += 1
            log.error("outbox message %s failed for good after %s attempts", row.id, row.attempts)
        else:
            row.next_attempt_at = clock.now() + backoff(row.attempts)
            report.retried += 1
            log.warning("outbox message %s: attempt %s failed, retrying later", row.id, row.attempts)
    else:
        row.attempts += 1
        row.status = OutboxStatus.sent
        row.sent_at = clock.now()
        row.leased_until = None
        row.last_error = None
        report.sent += 1
    db.session.commit()
    return report


def send_due_messages(batch_size: int = 50) -> SendReport:
    """Send everything that is due now, batch by batch, and report what happened."""
    report = SendReport()
    while True:
        ids = claim_due_messages(batch_size)
        if not ids:
            return report
        for message_id in ids:
            report += send_one(message_id)


def seal_audit_trail(batch_size: int = 1000) -> int:
    """Seal the pending audit events, committing after each batch; return how many were sealed.

    A failure here is logged and rolled back rather than raised, so that a problem with the audit trail
    never stops mail from going out; ``flask audit verify`` shows events left unsealed.
    """
    total = 0
    try:
        while sealed := seal_events(limit=batch_size):
            db.session.commit()
            total += sealed
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("sealing the audit trail failed after %s events; the next pass tries again", total)
    return total


def index_search(batch_size: int = 500) -> int:
    """Index new submissions for the staff's search, committing after each batch; return how many.

    Like sealing, a failure is logged and rolled back rather than raised, so mail still goes out.
    """
    from comments.domain.search import index_pending_submissions

    total = 0
    try:
        while indexed := index_pending_submissions(batch_size):
            db.session.commit()
            total += indexed
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("indexing submissions for search failed after %s; the next pass tries again", total)
    return total


def run_worker(interval: float, *, batch_size: int = 50, stop_after: int | None = None) -> SendReport:
    """Loop: send what is due, seal the audit trail, index new submissions for search, then sleep.

    The worker is the one process that always runs, so it also keeps the audit trail's hash chain
    current (within ``interval`` seconds) without a daemon of its own; ``flask outbox send --once``
    sends mail only, and cron setups run ``flask audit seal`` beside it. ``stop_after`` bounds the
    loops (tests).
    """
    total = SendReport()
    loops = 0
    while stop_after is None or loops < stop_after:
        total += send_due_messages(batch_size)
        seal_audit_trail()
        index_search()
        db.session.remove()
        loops += 1
        if stop_after is None or loops < stop_after:
            time.sleep(interval)
    return total
