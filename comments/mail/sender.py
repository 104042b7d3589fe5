"""Sending the outbox: claims due messages, sends them through Flask-Mail, retries with backoff.

Delivery is at-least-once. A worker claims a row by setting a lease; if it dies between the SMTP
server's acceptance and marking the row sent, the lease runs out and the row is sent again with the
same Message-ID (minted when the row was written), which lets the receiving side drop the duplicate.
Two workers never hold the same row: PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` (R49), and
SQLite serialises writers (each claim runs in a ``BEGIN IMMEDIATE`` transaction, see transactions.py).
The worker (comments/worker.py) calls ``send_due_messages`` as one of its jobs.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_mail import Message
from sqlalchemy import or_, select, update

from comments import clock
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

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed

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


@contextmanager
def socket_timeout(seconds: float):
    """Every socket opened inside waits at most ``seconds`` for the other side (connect, read, write).

    Flask-Mail opens its SMTP connection without a timeout, so a server that accepts the connection and
    never answers would hold the worker, and with it the audit seal and the search index, for ever. It
    has no setting for one; this sets Python's default socket timeout around the send (hand-written; the
    worker sends from one thread, and the web processes never send mail).
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


# Errors the next attempt may not meet: the server or the network, not the message.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


def send_one(message_id: int) -> SendReport:
    """Send one claimed message and record the outcome; never raises for anything about the message.

    The row is read and the message built, then the transaction ends before the SMTP conversation, so no
    lock is held while a mail server takes its time. A failure of the server or the network is tried
    again later (with backoff, up to ``OUTBOX_MAX_ATTEMPTS``); any other error (an address the server
    cannot take, a header Flask-Mail refuses) would fail again every time, so the message fails at once
    with its reason, and the messages after it are sent all the same.
    """
    report = SendReport()
    row = db.session.get(OutboxMessage, message_id)
    if row is None or row.status != OutboxStatus.pending:
        db.session.commit()
        return report
    try:
        message = build_message(row)
        db.session.commit()  # the read ends here; the row stays leased to this worker
        with socket_timeout(current_app.config["MAIL_TIMEOUT_SECONDS"]):
            mail.send(message)
    except TRANSIENT_ERRORS as error:
        db.session.rollback()
        row = db.session.get(OutboxMessage, message_id)
        row.attempts += 1
        row.last_error = _reason(error)
        row.leased_until = None
        if row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
            row.status = OutboxStatus.failed
            report.failed += 1
            log.error("outbox message %s failed for good after %s attempts", row.id, row.attempts)
        else:
            row.next_attempt_at = clock.now() + backoff(row.attempts)
            report.retried += 1
            log.warning("outbox message %s: attempt %s failed, retrying later", row.id, row.attempts)
    except Exception as error:
        db.session.rollback()
        row = db.session.get(OutboxMessage, message_id)
        row.attempts += 1
        row.status = OutboxStatus.failed
        row.last_error = _reason(error)
        row.leased_until = None
        report.failed += 1
        log.error("outbox message %s cannot be sent (%s); the next messages go on", row.id, type(error).__name__)
    else:
        row = db.session.get(OutboxMessage, message_id)
        row.attempts += 1
        row.status = OutboxStatus.sent
        row.sent_at = clock.now()
        row.leased_until = None
        row.last_error = None
        report.sent += 1
    db.session.commit()
    return report


def _reason(error: Exception) -> str:
    """What went wrong, for the outbox page: the error's kind and its text, bounded."""
    return f"{type(error).__name__}: {error}"[:1000]


def send_due_messages(batch_size: int = 50, *, limit: int | None = None) -> SendReport:
    """Send what is due now, batch by batch, and report what happened: everything, or at most ``limit``
    messages (the worker's share per pass, so a backlog of mail never holds up its other jobs)."""
    report = SendReport()
    while limit is None or report.handled < limit:
        size = batch_size if limit is None else min(batch_size, limit - report.handled)
        ids = claim_due_messages(size)
        if not ids:
            break
        for position, message_id in enumerate(ids):
            outcome = send_one(message_id)
            report += outcome
            if outcome.retried:
                # The server or the network failed: the next message would wait as long for the same answer,
                # so the rest go back to the queue and the worker's other jobs get their turn.
                release(ids[position + 1 :])
                return report
    return report


def release(ids: list[int]) -> None:
    """Give claimed messages back to the queue unsent, for the next pass."""
    if ids:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(leased_until=None))
        db.session.commit()
