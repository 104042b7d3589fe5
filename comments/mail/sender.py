"""Sending the outbox: claims due messages, sends them through Flask-Mail, retries with backoff.

Delivery is at-least-once. A worker claims a row by setting a lease; if it dies between the SMTP
server's acceptance and marking the row sent, the lease runs out and the row is sent again with the
same Message-ID (minted when the row was written), which lets the receiving side drop the duplicate.
Two workers never hold the same row: PostgreSQL claims with ``FOR UPDATE SKIP LOCKED`` (R49), and
SQLite serialises writers (each claim runs in a ``BEGIN IMMEDIATE`` transaction, see transactions.py).
The worker (comments/worker.py) calls ``send_due_messages`` as one of its jobs.

A claimed batch goes over one SMTP connection (one TCP connection, TLS handshake and login), not one per
message. The server's answer decides what becomes of each message (``send_batch``): a 5xx refusal is
permanent, so that message fails at once with its reason and the batch goes on over the same connection;
a 4xx answer or a network error is tried again later with backoff; a connection that breaks gives the
rest of the batch back to the queue, unsent and uncharged.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_mail import Connection, Message
from sqlalchemy import or_, select, update

from comments import clock
from comments.domain.outbox_admin import mask_addresses
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


# Errors of the conversation before any message: the server or its settings, never one message's fault,
# so even a 5xx here (a refused login) is tried again later rather than failing the message it met.
CONNECTION_ERRORS = (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPAuthenticationError)


def permanent_refusal(error: BaseException) -> int | None:
    """The reply code when the server refused this message for good (5xx, RFC 5321 4.2.1), else None.

    Covers a refused recipient (``SMTPRecipientsRefused``, each message has one), a refused sender and a
    refused message (``SMTPSenderRefused``, ``SMTPDataError`` and any other ``SMTPResponseException``).
    A 4xx reply says "not now": the message is tried again later.
    """
    if isinstance(error, CONNECTION_ERRORS):
        return None
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return min(codes) if codes and min(codes) >= 500 else None
    if isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500:
        return error.smtp_code
    return None


def connection_lost(error: BaseException) -> bool:
    """Whether the SMTP connection is gone or out of step after ``error``: a network error or a timeout
    (an answer may still be on its way, and would be read as the answer to the next command). The
    ``smtplib`` errors are ``OSError``s too, but those that carry a reply leave the conversation in step."""
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def open_connection() -> Connection:
    """One SMTP connection for a batch, through Flask-Mail (TLS and login as configured), every step waiting
    at most ``MAIL_TIMEOUT_SECONDS``: the socket keeps the timeout it was opened with."""
    connection = mail.connect()
    with socket_timeout(current_app.config["MAIL_TIMEOUT_SECONDS"]):
        connection.__enter__()
    return connection


def reset_connection(connection: Connection) -> bool:
    """After a message was refused, end its mail transaction (RSET) so the next message starts clean; smtplib
    already does this after most refusals, not after every one (a refused DATA command, a local error after
    MAIL FROM). Returns whether the connection is still usable."""
    host = connection.host
    if host is None:  # MAIL_SUPPRESS_SEND: nothing is connected
        return True
    if host.sock is None:  # smtplib closed it (a 421 answer, a disconnection)
        return False
    try:
        with socket_timeout(current_app.config["MAIL_TIMEOUT_SECONDS"]):
            host.rset()
    except (smtplib.SMTPException, OSError):
        return False
    return True


def close_connection(connection: Connection) -> None:
    """QUIT, or just close the socket when the server is gone: every message is recorded by now."""
    host = connection.host
    if host is None:
        return
    try:
        with socket_timeout(current_app.config["MAIL_TIMEOUT_SECONDS"]):
            host.quit()
    except (smtplib.SMTPException, OSError):
        host.close()


def _prepare(message_id: int, report: SendReport) -> Message | None:
    """Read a claimed row and build its message, then end the transaction, so that no lock is held while a
    mail server takes its time; None when there is nothing to send (the row is gone or no longer pending,
    or Flask-Mail refused to build it: then it has failed, with its reason)."""
    row = db.session.get(OutboxMessage, message_id)
    if row is None or row.status != OutboxStatus.pending:
        db.session.commit()
        return None
    try:
        message = build_message(row)
    except Exception as error:
        db.session.rollback()
        _record_failure(message_id, error, report, permanent=True)
        return None
    db.session.commit()  # the read ends here; the row stays leased to this worker
    return message


def is_permanent(error: BaseException) -> bool:
    """Whether ``error`` met in sending one message would meet it again every time: a 5xx refusal, or an
    error that is not the server's or the network's (an address Flask-Mail cannot encode)."""
    return permanent_refusal(error) is not None or not isinstance(error, TRANSIENT_ERRORS)


def _record_sent(message_id: int, report: SendReport) -> None:
    row = db.session.get(OutboxMessage, message_id)
    row.attempts += 1
    row.status, row.sent_at, row.leased_until, row.last_error = OutboxStatus.sent, clock.now(), None, None
    report.sent += 1
    db.session.commit()


def _record_failure(message_id: int, error: Exception, report: SendReport, *, permanent: bool) -> None:
    """Record a failed attempt and commit it: failed for good when ``permanent`` or when it was the last
    attempt allowed, else due again after the backoff. The log names the message by id, never its address."""
    row = db.session.get(OutboxMessage, message_id)
    row.attempts += 1
    row.leased_until = None
    row.last_error = _reason(error)
    if permanent:
        row.status = OutboxStatus.failed
        report.failed += 1
        code = permanent_refusal(error)
        why = f"the server answered {code}" if code else type(error).__name__
        log.error("outbox message %s cannot be sent (%s): failed at once, the next messages go on", row.id, why)
    elif row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        row.status = OutboxStatus.failed
        report.failed += 1
        log.error("outbox message %s failed for good after %s attempts", row.id, row.attempts)
    else:
        row.next_attempt_at = clock.now() + backoff(row.attempts)
        report.retried += 1
        log.warning("outbox message %s: attempt %s failed, retrying later", row.id, row.attempts)
    db.session.commit()


def send_batch(ids: list[int]) -> tuple[SendReport, bool]:
    """Send claimed messages in order over one SMTP connection and record each outcome as it comes; never
    raises for anything about a message or the server. Returns the report and whether the batch ran to
    its end: False when the connection could not be opened or broke, and the messages not yet tried went
    back to the queue (``release``), unsent and not charged an attempt.

    * accepted: sent.
    * refused with 5xx (recipient, sender or message): failed at once with the server's answer; the
      connection is reset and the next message goes over it.
    * refused with 4xx: tried again after the backoff (``OUTBOX_MAX_ATTEMPTS`` in all); the next message
      goes over the same connection.
    * an error of the network, a timeout, a closed connection, a server that cannot be reached or logged
      into: this message is tried again after the backoff, and the rest of the batch is released.
    * anything else (an address Flask-Mail cannot encode, a header it refuses) would fail the same way
      every time: failed at once, and the batch goes on.
    """
    report = SendReport()
    connection: Connection | None = None
    try:
        for position, message_id in enumerate(ids):
            message = _prepare(message_id, report)
            if message is None:
                continue
            if connection is None:
                try:
                    connection = open_connection()
                except Exception as error:
                    # No server to talk to: not this message's fault, so tried again later whatever the error.
                    _record_failure(message_id, error, report, permanent=False)
                    release(ids[position + 1 :])
                    return report, False
            try:
                with socket_timeout(current_app.config["MAIL_TIMEOUT_SECONDS"]):
                    connection.send(message)
            except Exception as error:
                db.session.rollback()
                _record_failure(message_id, error, report, permanent=is_permanent(error))
                if connection_lost(error) or not reset_connection(connection):
                    # The next message would wait as long for the same answer: the rest go back to the
                    # queue, and the worker's other jobs get their turn.
                    release(ids[position + 1 :])
                    return report, False
            else:
                _record_sent(message_id, report)
    finally:
        if connection is not None:
            close_connection(connection)
    return report, True


def _reason(error: Exception) -> str:
    """What went wrong, for `flask outbox status`: the error's kind and the server's reply (code and text)
    or the error's text, bounded, with every address in it masked (the recipient is encrypted at rest;
    its copy in an error must not undo that)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, text = next(iter(error.recipients.values()))
        detail = f"{code} {_reply_text(text)}"
    elif isinstance(error, smtplib.SMTPResponseException):
        detail = f"{error.smtp_code} {_reply_text(error.smtp_error)}"
    else:
        detail = str(error)
    return mask_addresses(f"{type(error).__name__}: {detail}")[:1000]


def _reply_text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def send_due_messages(batch_size: int = 50, *, limit: int | None = None) -> SendReport:
    """Send what is due now, batch by batch, and report what happened: everything, or at most ``limit``
    messages (the worker's share per pass, so a backlog of mail never holds up its other jobs). Each batch
    goes over one SMTP connection; once one breaks, the rest wait for the next pass."""
    report = SendReport()
    while limit is None or report.handled < limit:
        size = batch_size if limit is None else min(batch_size, limit - report.handled)
        ids = claim_due_messages(size)
        if not ids:
            break
        outcome, completed = send_batch(ids)
        report += outcome
        if not completed:
            break
    return report


def release(ids: list[int]) -> None:
    """Give claimed messages back to the queue unsent, for the next pass."""
    if ids:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(leased_until=None))
        db.session.commit()
