"""The e-mail intake polls a real IMAP server (Dovecot on 127.0.0.1, see tests/imap_server.py)."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from comments.ingestion.mail.imap import ImapError, ImapSettings, PollReport, poll_mailbox
from tests.imap_server import free_port


@pytest.fixture(autouse=True)
def db_session():
    """No database here: this replaces the suite's per-test transaction (and the migrated app it needs)."""
    return None


SEEN = b"\\Seen"
DELETED = b"\\Deleted"


def make_message(number: int, *, padding: int = 0) -> bytes:
    message = EmailMessage()
    message["From"] = f"citizen{number}@example.jp"
    message["To"] = "iken@committee.example.jp"
    message["Subject"] = f"意見 {number}"
    message["Message-ID"] = message_id(number)
    message["Date"] = "Mon, 01 Sep 2025 09:00:00 +0900"
    message.set_content("意見の本文です。\n" + "x" * padding)
    return message.as_bytes(policy=SMTP)


def message_id(number: int) -> str:
    return f"<intake-{number}@example.jp>"


class Handler:
    """Records what it was handed and answers with a fixed outcome."""

    def __init__(self, outcome: str = "processed"):
        self.outcome = outcome
        self.received: list[str] = []

    def __call__(self, raw: bytes) -> str:
        self.received.append(email.message_from_bytes(raw)["Message-ID"])
        return self.outcome


@pytest.mark.parametrize("security", ["plain", "tls", "starttls"])
def test_messages_are_handled_oldest_first_and_moved_to_processed(imap_server, security):
    imap_server.deliver(make_message(1), make_message(2))
    handler = Handler()

    report = poll_mailbox(imap_server.settings(security), handler)

    assert report == PollReport(fetched=2, processed=2)
    assert handler.received == [message_id(1), message_id(2)]
    assert imap_server.message_ids("INBOX") == []
    assert imap_server.message_ids("Processed") == [message_id(1), message_id(2)]
    assert imap_server.messages("Processed")[0].raw == make_message(1), "the message arrives byte for byte"
    assert imap_server.message_ids("Quarantine") == [], "both folders are created"


def test_a_quarantined_message_goes_to_the_quarantine_folder(imap_server):
    imap_server.deliver(make_message(1))

    report = poll_mailbox(imap_server.settings(), Handler("quarantined"))

    assert report == PollReport(fetched=1, quarantined=1)
    assert imap_server.message_ids("Quarantine") == [message_id(1)]
    assert imap_server.message_ids("INBOX") == []


def test_nothing_is_marked_read_before_it_is_handled(imap_server):
    imap_server.deliver(make_message(1))
    flags_while_handling = []

    def handler(raw: bytes) -> str:
        flags_while_handling.extend(message.flags for message in imap_server.messages("INBOX"))
        return "processed"

    poll_mailbox(imap_server.settings(), handler)

    assert len(flags_while_handling) == 1
    assert SEEN not in flags_while_handling[0]


def test_a_failing_handler_leaves_the_message_unread_for_the_next_poll(imap_server, caplog):
    imap_server.deliver(make_message(1), make_message(2))
    calls = []

    def handler(raw: bytes) -> str:
        calls.append(email.message_from_bytes(raw)["Message-ID"])
        if len(calls) == 1:
            raise RuntimeError("database unavailable")
        return "processed"

    report = poll_mailbox(imap_server.settings(), handler)

    assert report == PollReport(fetched=2, processed=1, failed=1)
    [left] = imap_server.messages("INBOX")
    assert left.message_id == message_id(1)
    assert SEEN not in left.flags
    assert "handler failed" in caplog.text
    assert imap_server.message_ids("Processed") == [message_id(2)]

    report = poll_mailbox(imap_server.settings(), handler)
    assert report == PollReport(fetched=1, processed=1)
    assert imap_server.message_ids("Processed") == [message_id(2), message_id(1)]
    assert calls == [message_id(1), message_id(2), message_id(1)]


def test_an_unknown_outcome_is_a_programming_error_and_the_message_stays(imap_server):
    imap_server.deliver(make_message(1))

    with pytest.raises(ValueError, match="'done'"):
        poll_mailbox(imap_server.settings(), Handler("done"))

    assert imap_server.message_ids("INBOX") == [message_id(1)]


def test_an_oversized_message_is_quarantined_without_being_downloaded(imap_server, caplog):
    imap_server.deliver(make_message(1), make_message(2, padding=5000), make_message(3))
    handler = Handler()

    report = poll_mailbox(imap_server.settings(), handler, max_bytes=2000)

    assert report == PollReport(fetched=2, processed=2, quarantined=1, oversized=1)
    assert handler.received == [message_id(1), message_id(3)]
    [quarantined] = imap_server.messages("Quarantine")
    assert quarantined.message_id == message_id(2)
    assert SEEN not in quarantined.flags, "never fetched"
    assert "over the limit of 2000" in caplog.text
    assert imap_server.message_ids("Processed") == [message_id(1), message_id(3)]


def test_one_poll_takes_at_most_a_batch(imap_server):
    imap_server.deliver(*(make_message(number) for number in range(1, 6)))
    handler = Handler()

    assert poll_mailbox(imap_server.settings(batch=2), handler) == PollReport(fetched=2, processed=2)
    assert imap_server.message_ids("INBOX") == [message_id(3), message_id(4), message_id(5)]
    assert poll_mailbox(imap_server.settings(batch=2), handler).processed == 2
    assert poll_mailbox(imap_server.settings(batch=2), handler).processed == 1
    assert handler.received == [message_id(number) for number in range(1, 6)]


def test_without_move_the_message_is_copied_and_only_its_uid_expunged(imap_server_without_move):
    server = imap_server_without_move
    server.deliver(make_message(1), make_message(2))
    with server.client() as client:
        client.select_folder("INBOX")
        assert not client.has_capability("MOVE")
        # Someone else's deletion in progress: the poller must not expunge it.
        [someone_elses] = client.search(["HEADER", "Message-ID", message_id(2)])
        client.add_flags([someone_elses], [DELETED])

    report = poll_mailbox(server.settings(), Handler())

    assert report == PollReport(fetched=1, processed=1)
    assert server.message_ids("Processed") == [message_id(1)]
    assert server.message_ids("INBOX") == [message_id(2)], "only the moved UID was expunged"


def test_without_move_or_uidplus_the_copied_message_stays_flagged_and_is_not_handled_again(
    imap_server_without_move_or_uidplus,
):
    server = imap_server_without_move_or_uidplus
    server.deliver(make_message(1))
    with server.client() as client:
        assert not client.has_capability("MOVE")
        assert not client.has_capability("UIDPLUS")
    handler = Handler()

    assert poll_mailbox(server.settings(), handler) == PollReport(fetched=1, processed=1)
    assert server.message_ids("Processed") == [message_id(1)]
    [flagged] = server.messages("INBOX")
    assert DELETED in flagged.flags
    assert poll_mailbox(server.settings(), handler) == PollReport()
    assert handler.received == [message_id(1)]


def test_a_wrong_password_says_to_check_the_credentials(imap_server):
    with pytest.raises(ImapError, match=r"refused the login of 'committee[0-9]+'.*check the username and password"):
        poll_mailbox(imap_server.settings(password="wrong"), Handler())


def test_tls_without_the_private_ca_is_refused_not_silently_accepted(imap_server):
    imap_server.deliver(make_message(1))

    with pytest.raises(ImapError, match=r"certificate of the IMAP server at .* is not trusted.*ca_file"):
        poll_mailbox(imap_server.settings("tls", ca_file=None), Handler())
    with pytest.raises(ImapError, match="not trusted"):
        poll_mailbox(imap_server.settings("starttls", ca_file=None), Handler())

    assert imap_server.message_ids("INBOX") == [message_id(1)]


def test_tls_to_the_plain_port_says_to_check_the_security_setting(imap_server):
    with pytest.raises(ImapError, match=r"TLS handshake .* failed"):
        poll_mailbox(imap_server.settings("tls", port=imap_server.plain_port), Handler())


def test_nothing_listening_says_to_check_host_and_port():
    settings = ImapSettings("127.0.0.1", free_port(), "committee", "secret", security="plain", timeout=2)
    with pytest.raises(ImapError, match=r"cannot connect .* check host and port"):
        poll_mailbox(settings, Handler())


def test_plain_imap_is_refused_for_a_remote_server():
    # 192.0.2.0/24 is reserved for documentation: the refusal must come before any connection.
    settings = ImapSettings("192.0.2.10", 143, "committee", "secret", security="plain", timeout=2)
    with pytest.raises(ImapError, match="only allowed for a server on this machine"):
        poll_mailbox(settings, Handler())
