"""The worker sends a batch over one SMTP connection and reads the server's answers (issue 13, items 3 and 4):
a 5xx refusal fails that message at once, a 4xx one is tried again later, and the batch goes on over the same
connection; a connection that breaks gives the rest of the batch back to the queue. Against a real SMTP
server (aiosmtpd on 127.0.0.1) that answers as each test's recipient asks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import delete, select

from comments import clock
from comments.domain.outbox import enqueue_mail
from comments.extensions import db
from comments.mail.sender import backoff
from comments.models import OutboxMessage, OutboxStatus
from tests.integration.test_outbox_smtp import free_port, send_once


class PickyServer:
    """An aiosmtpd handler whose answer to each recipient depends on its local part: ``refused...`` gets
    550, ``later...`` 451, ``bounce...`` is taken but its message refused with 554 after DATA, ``drop...``
    has its connection cut; every other recipient's message is kept. Counts the EHLOs (one per connection:
    no STARTTLS here) and keeps every session that named a recipient."""

    def __init__(self):
        self.ehlos = 0
        self.sessions = []
        self.delivered: list[str] = []
        self.accept_everything = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.ehlos += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not any(seen is session for seen in self.sessions):
            self.sessions.append(session)
        if not self.accept_everything:
            if address.startswith("refused"):
                return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
            if address.startswith("later"):
                return "451 4.3.0 Temporary lookup failure, try again later"
            if address.startswith("drop"):
                server.transport.close()
                return "250 OK"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self.accept_everything and envelope.rcpt_tos[0].startswith("bounce"):
            return "554 5.6.0 Message refused: content not accepted"
        self.delivered.extend(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture
def picky_server(app, monkeypatch):
    server = PickyServer()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    state = app.extensions["mail"]
    monkeypatch.setattr(state, "server", "127.0.0.1")
    monkeypatch.setattr(state, "port", controller.port)
    monkeypatch.setattr(state, "suppress", False)
    yield server
    controller.stop()


def queue(app, *addresses: str) -> list[int]:
    """Queue one message to each address, in order, on an outbox holding nothing else (the test's own
    transaction: rows other tests left behind come back when it rolls back)."""
    db.session.execute(delete(OutboxMessage))
    db.session.commit()
    with app.app_context():
        rows = [enqueue_mail(to=address, subject="受付", body="本文") for address in addresses]
        db.session.commit()
        return [row.id for row in rows]


def rows_of(ids: list[int]) -> list[OutboxMessage]:
    rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)))
    for row in rows:
        db.session.refresh(row)
    return rows


def test_one_connection_per_batch_and_each_answer_decides_its_message(app, picky_server, frozen_clock):
    ids = queue(
        app,
        "first@example.jp",
        "refused@example.jp",
        "later@example.jp",
        "bounce@example.jp",
        "second@example.jp",
    )
    output = send_once(app)
    assert "sent 2, will retry 1, failed for good 2" in output
    first, refused, later, bounced, second = rows_of(ids)

    assert picky_server.delivered == ["first@example.jp", "second@example.jp"], "the batch went on after refusals"
    assert picky_server.ehlos == 1, "one SMTP connection for the whole batch"
    assert len(picky_server.sessions) == 1
    assert first.status == second.status == OutboxStatus.sent

    assert refused.status == OutboxStatus.failed and refused.attempts == 1, "550: failed at once"
    assert "SMTPRecipientsRefused: 550 5.1.1" in refused.last_error
    assert "r***@example.jp" in refused.last_error and "refused@example.jp" not in refused.last_error
    assert bounced.status == OutboxStatus.failed and bounced.attempts == 1, "554 after DATA: failed at once"
    assert "SMTPDataError: 554 5.6.0" in bounced.last_error

    assert later.status == OutboxStatus.pending and later.attempts == 1, "451: tried again later"
    assert later.next_attempt_at == clock.now() + backoff(1) and later.next_attempt_at > clock.now()
    assert later.leased_until is None and "451 4.3.0" in later.last_error

    assert "sent 0, will retry 0, failed for good 0" in send_once(app), "nothing is due before the backoff"
    frozen_clock.set(frozen_clock.current + backoff(1) + timedelta(seconds=1))
    picky_server.accept_everything = True
    assert "sent 1, will retry 0, failed for good 0" in send_once(app)
    assert picky_server.delivered[-1] == "later@example.jp"


def test_a_broken_connection_gives_the_rest_of_the_batch_back_unsent_and_uncharged(app, picky_server):
    ids = queue(app, "first@example.jp", "drop@example.jp", "second@example.jp", "third@example.jp")
    assert "sent 1, will retry 1, failed for good 0" in send_once(app)
    first, dropped, second, third = rows_of(ids)
    assert first.status == OutboxStatus.sent
    assert dropped.status == OutboxStatus.pending and dropped.attempts == 1
    assert "SMTPServerDisconnected" in dropped.last_error
    for row in (second, third):
        assert (row.status, row.attempts, row.leased_until, row.last_error) == (OutboxStatus.pending, 0, None, None)
    assert picky_server.delivered == ["first@example.jp"]

    # The released messages are due at once: the next pass sends them over a new connection.
    assert "sent 2, will retry 0, failed for good 0" in send_once(app)
    assert picky_server.delivered == ["first@example.jp", "second@example.jp", "third@example.jp"]
    assert picky_server.ehlos == 2


def test_a_refused_message_put_back_by_the_operator_is_sent_once_the_cause_is_fixed(app, picky_server):
    [refused] = queue(app, "refused@example.jp")
    assert "failed for good 1" in send_once(app)
    picky_server.accept_everything = True  # the address was set up on the mail server meanwhile
    result = app.test_cli_runner().invoke(args=["outbox", "retry", "--id", str(refused)])
    assert result.exit_code == 0, result.output
    assert "sent 1" in send_once(app)
    [row] = rows_of([refused])
    assert row.status == OutboxStatus.sent and row.attempts == 1
    assert picky_server.delivered == ["refused@example.jp"]
