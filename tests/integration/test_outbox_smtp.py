"""The outbox worker delivers through a real SMTP conversation (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
import socket
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from comments.domain.outbox import HeaderInjectionError, enqueue_mail
from comments.extensions import db
from comments.mail.sender import backoff, claim_due_messages
from comments.models import OutboxMessage, OutboxStatus, Submission
from tests.factories import make_consultation
from tests.functional.helpers import post_comment


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    state = app.extensions["mail"]
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", controller.port)
    monkeypatch.setattr(state, "suppress", False)
    yield inbox
    controller.stop()


@pytest.fixture
def smtp_down(app, monkeypatch):
    state = app.extensions["mail"]
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", free_port())  # nothing listens there
    monkeypatch.setattr(state, "suppress", False)


def send_once(app):
    result = app.test_cli_runner().invoke(args=["outbox", "send", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_receipt_mail_is_delivered_once_with_its_message_id(app, client, smtp_server):
    consultation = make_consultation()
    response = post_comment(client, consultation, email="citizen@example.jp", body="配達テスト")
    assert response.status_code == 303
    receipt = response.headers["Location"].rsplit("/", 1)[-1]
    assert smtp_server.messages == [], "nothing is sent inside the request"

    output = send_once(app)
    assert "sent 1" in output
    [message] = smtp_server.messages
    row = db.session.execute(
        select(OutboxMessage).join(Submission).where(Submission.receipt_number == receipt)
    ).scalar_one()
    assert message["Message-ID"] == row.message_id
    assert smtp_server.envelopes[0].rcpt_tos == ["citizen@example.jp"]
    assert receipt in subject_of(message)
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    assert receipt in body
    assert row.submission.fingerprint in body
    assert "配達テスト" not in body  # the opinion itself is not mailed around
    assert message["Auto-Submitted"] == "auto-generated"
    db.session.refresh(row)
    assert row.status == OutboxStatus.sent
    assert row.sent_at is not None

    assert "sent 0" in send_once(app)
    assert len(smtp_server.messages) == 1, "a second pass sends no duplicate"


def test_failed_delivery_backs_off_then_succeeds(app, smtp_down, frozen_clock):
    with app.app_context():
        row = enqueue_mail(to="a@example.jp", subject="件名", body="本文")
        db.session.commit()
        row_id = row.id
    assert "will retry 1" in send_once(app)
    row = db.session.get(OutboxMessage, row_id)
    db.session.refresh(row)
    assert row.status == OutboxStatus.pending
    assert row.attempts == 1
    assert row.last_error
    assert row.next_attempt_at == frozen_clock.current + backoff(1)
    assert "sent 0, will retry 0" in send_once(app), "not due again before the backoff"
    assert backoff(2) == 2 * backoff(1)
    assert backoff(30) == timedelta(hours=1)


def test_gives_up_after_the_last_attempt(app, smtp_down, frozen_clock, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    with app.app_context():
        row = enqueue_mail(to="a@example.jp", subject="件名", body="本文")
        db.session.commit()
        row_id = row.id
    send_once(app)
    frozen_clock.set(frozen_clock.current + timedelta(hours=2))
    assert "failed for good 1" in send_once(app)
    row = db.session.get(OutboxMessage, row_id)
    db.session.refresh(row)
    assert row.status == OutboxStatus.failed
    assert row.attempts == 2


def test_a_crashed_workers_claim_expires_and_the_message_goes_once(app, smtp_server, frozen_clock):
    with app.app_context():
        row = enqueue_mail(to="a@example.jp", subject="件名", body="本文")
        db.session.commit()
        row_id = row.id
        # A worker claims the row and dies before sending.
        assert claim_due_messages(10) == [row_id]
    assert "sent 0" in send_once(app), "the claim still holds"
    frozen_clock.set(frozen_clock.current + timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1))
    assert "sent 1" in send_once(app)
    assert "sent 0" in send_once(app)
    assert len(smtp_server.messages) == 1


def test_resend_after_crash_between_smtp_and_bookkeeping_keeps_the_message_id(app, smtp_server, frozen_clock):
    with app.app_context():
        row = enqueue_mail(to="a@example.jp", subject="件名", body="本文")
        db.session.commit()
        row_id, message_id = row.id, row.message_id
    send_once(app)
    # The worker died after the SMTP server accepted but before the row was marked: it looks pending.
    row = db.session.get(OutboxMessage, row_id)
    db.session.refresh(row)
    row.status, row.sent_at = OutboxStatus.pending, None
    db.session.commit()
    send_once(app)
    assert [m["Message-ID"] for m in smtp_server.messages] == [message_id, message_id]


def test_header_values_with_line_breaks_are_refused(app):
    with app.app_context(), pytest.raises(HeaderInjectionError):
        enqueue_mail(to="a@example.jp\r\nBcc: victim@example.jp", subject="s", body="b")
    with app.app_context(), pytest.raises(HeaderInjectionError):
        enqueue_mail(to="a@example.jp", subject="s\nBcc: x@example.jp", body="b")


def _poisoned_backlog(app):
    """Good mail around a message Flask-Mail cannot send, a pending audit event, and two unindexed
    submissions, one of which the search rule chokes on (a fault the test injects)."""
    from comments.domain.audit import SYSTEM, record_event
    from comments.models import SubmissionSearch
    from tests.factories import make_submission

    consultation = make_consultation()
    good = make_submission(consultation, body="良い意見")
    poisoned = make_submission(consultation, body="毒入りの意見")
    db.session.execute(
        SubmissionSearch.__table__.delete().where(SubmissionSearch.submission_id.in_([good.id, poisoned.id]))
    )
    record_event(SYSTEM, "test.touched", consultation)
    db.session.commit()
    with app.app_context():
        rows = [
            enqueue_mail(to=to, subject="受付", body="本文")
            for to in ("first@example.jp", "日本語@example.jp", "second@example.jp")
        ]
        db.session.commit()
        ids = [row.id for row in rows]
    return ids, good, poisoned


def test_a_poisoned_message_fails_alone_and_mail_sealing_and_search_go_on(app, smtp_server, monkeypatch):
    """Issue 11, item 1: an address the SMTP client cannot encode killed the worker, again after every
    restart, and the mail behind it, the audit seal and the search index waited for ever."""
    from comments.domain import search
    from comments.domain.audit import verify_chain
    from comments.models import AuditEvent, SubmissionSearch
    from comments.worker import run_worker

    real_terms = search.search_terms
    monkeypatch.setattr(search, "search_terms", lambda value: 1 / 0 if "毒入り" in value else real_terms(value))
    (first, poison, second), good, poisoned = _poisoned_backlog(app)
    with app.app_context():
        run_worker(0, stop_after=2)
    assert sorted(envelope.rcpt_tos[0] for envelope in smtp_server.envelopes) == [
        "first@example.jp",
        "second@example.jp",
    ]
    rows = {
        row.id: row
        for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_([first, poison, second])))
    }
    for row in rows.values():
        db.session.refresh(row)
    assert rows[first].status == rows[second].status == OutboxStatus.sent
    assert rows[poison].status == OutboxStatus.failed, "it would fail the same way every time: failed at once"
    assert rows[poison].attempts == 1 and "Error" in rows[poison].last_error
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))) == 0
    assert verify_chain().intact
    indexed = dict(
        db.session.execute(
            select(SubmissionSearch.submission_id, SubmissionSearch.terms).where(
                SubmissionSearch.submission_id.in_([good.id, poisoned.id])
            )
        ).all()
    )
    assert set(indexed) == {good.id, poisoned.id}, "both are indexed: the one the rule choked on with no terms"
    assert indexed[good.id] and indexed[poisoned.id] == ""


def test_a_mail_server_that_never_answers_holds_up_nothing(app, monkeypatch):
    """A server that accepts the connection and says nothing: the send times out, the message waits for a
    later attempt, the rest go back to the queue, and the audit trail is sealed in the same pass."""
    import threading

    from comments.domain.audit import SYSTEM, record_event
    from comments.models import AuditEvent
    from comments.worker import run_worker

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept_and_stay_silent():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_stay_silent, daemon=True)
    thread.start()
    state = app.extensions["mail"]
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", listener.getsockname()[1])
    monkeypatch.setattr(state, "suppress", False)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT_SECONDS", 1)
    try:
        with app.app_context():
            queued = [enqueue_mail(to=f"c{n}@example.jp", subject="受付", body="本文") for n in range(3)]
            db.session.commit()
            ids = [row.id for row in queued]
        consultation = make_consultation()
        record_event(SYSTEM, "test.touched", consultation)
        db.session.commit()
        with app.app_context():
            totals = run_worker(0, stop_after=1)
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()
    assert totals["mail"] == 1, "one attempt timed out; the others were not tried against a silent server"
    rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)))
    for row in rows:
        db.session.refresh(row)
    assert [row.attempts for row in rows] == [1, 0, 0]
    assert all(row.status == OutboxStatus.pending and row.leased_until is None for row in rows[1:])
    assert "timed out" in rows[0].last_error
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))) == 0
