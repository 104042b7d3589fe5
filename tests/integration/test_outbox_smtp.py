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
