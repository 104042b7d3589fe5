"""`flask outbox status` and `flask outbox retry` (issue 13, item 3): what an operator sees of the outbox, with
no recipient's address or any message text in it, and putting failed mail back in the queue."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from comments.domain.outbox import enqueue_mail
from comments.domain.outbox_admin import mask_address, mask_addresses
from comments.extensions import db
from comments.models import AuditEvent, OutboxMessage, OutboxStatus


def outbox(app, *args):
    return app.test_cli_runner().invoke(args=["outbox", *args])


def make_outbox(app, frozen_clock) -> dict[str, int]:
    """An outbox of one sent, one pending (the oldest, written 2 h 5 min ago) and two failed messages, and
    nothing else (within the test's transaction)."""
    db.session.execute(delete(OutboxMessage))
    start = frozen_clock.current
    with app.app_context():
        pending = enqueue_mail(to="hanako.yamada@example.jp", subject="受付番号 A-1", body="山田花子様の意見本文")
        db.session.flush()
        frozen_clock.set(start + timedelta(minutes=5))
        sent = enqueue_mail(to="sent@example.jp", subject="s", body="b")
        refused = enqueue_mail(to="taro@example.jp", subject="受付番号 B-2", body="本文")
        gave_up = enqueue_mail(to="jiro@example.org", subject="s", body="b")
        db.session.flush()
        sent.status, sent.attempts = OutboxStatus.sent, 1
        refused.status, refused.attempts = OutboxStatus.failed, 1
        refused.last_error = "SMTPRecipientsRefused: 550 5.1.1 <taro@example.jp>: Recipient address rejected"
        gave_up.status, gave_up.attempts = OutboxStatus.failed, 8
        gave_up.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
        db.session.commit()
        ids = {"pending": pending.id, "sent": sent.id, "refused": refused.id, "gave_up": gave_up.id}
    frozen_clock.set(start + timedelta(hours=2, minutes=5))
    return ids


def test_status_counts_ages_and_lists_failures_without_personal_data(app, frozen_clock):
    ids = make_outbox(app, frozen_clock)
    result = outbox(app, "status")
    assert result.exit_code == 0, result.output
    output = result.output
    assert "pending 1 (due now 1, being sent 0, waiting to retry 0), sent 1, failed 2" in output
    assert f"oldest unsent: message {ids['pending']}, waiting 2 h 5 min" in output
    assert "failed messages (all):" in output
    assert f"  {ids['refused']}  t***@example.jp  1 attempt(s)" in output
    assert "550 5.1.1 <t***@example.jp>: Recipient address rejected" in output
    assert f"  {ids['gave_up']}  j***@example.org  8 attempt(s)" in output
    assert "Connection refused" in output
    for personal in ("taro@", "jiro@", "hanako", "山田", "受付番号", "本文"):
        assert personal not in output
    assert "flask outbox retry" in output

    limited = outbox(app, "status", "--failed", "1").output
    assert "failed messages (the newest 1 of 2):" in limited
    assert f"  {ids['gave_up']}  " in limited and f"  {ids['refused']}  " not in limited


def test_status_of_an_empty_outbox(app):
    db.session.execute(delete(OutboxMessage))
    db.session.commit()
    result = outbox(app, "status")
    assert result.exit_code == 0, result.output
    assert "pending 0 (due now 0, being sent 0, waiting to retry 0), sent 0, failed 0" in result.output
    assert "oldest unsent: none, nothing waits" in result.output
    assert "failed messages" not in result.output


def _row(message_id: int) -> OutboxMessage:
    row = db.session.get(OutboxMessage, message_id)
    db.session.refresh(row)
    return row


def test_retry_puts_the_named_failed_message_back_due_now_and_records_it(app, frozen_clock):
    ids = make_outbox(app, frozen_clock)
    result = outbox(app, "retry", "--id", str(ids["refused"]))
    assert result.exit_code == 0, result.output
    assert f"put back 1 message(s) in the queue ({ids['refused']})" in result.output
    row = _row(ids["refused"])
    assert (row.status, row.attempts, row.leased_until) == (OutboxStatus.pending, 0, None)
    assert row.next_attempt_at == frozen_clock.current
    assert _row(ids["gave_up"]).status == OutboxStatus.failed, "only the one named"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "outbox.retried", AuditEvent.object_id == str(ids["refused"]))
    ).one()
    assert event.actor == "cli" and event.object_type == "outbox_messages"
    assert event.detail == {"attempts_before": 1}


def test_retry_all_failed(app, frozen_clock):
    ids = make_outbox(app, frozen_clock)
    result = outbox(app, "retry", "--all-failed")
    assert result.exit_code == 0, result.output
    assert "put back 2 message(s)" in result.output
    assert _row(ids["refused"]).status == _row(ids["gave_up"]).status == OutboxStatus.pending
    assert _row(ids["sent"]).status == OutboxStatus.sent
    again = outbox(app, "retry", "--all-failed")
    assert again.exit_code == 0 and "no failed messages: nothing to put back" in again.output


def test_retry_refuses_unknown_or_unfailed_ids_and_changes_nothing(app, frozen_clock):
    ids = make_outbox(app, frozen_clock)
    unknown = ids["gave_up"] + 1000
    result = outbox(
        app,
        "retry",
        "--id",
        str(ids["refused"]),
        "--id",
        str(unknown),
        "--id",
        str(ids["sent"]),
        "--id",
        str(ids["pending"]),
    )
    assert result.exit_code == 1
    assert f"no outbox message {unknown}" in result.output
    assert f"message {ids['sent']} is sent, not failed" in result.output
    assert f"message {ids['pending']} is pending, not failed" in result.output
    assert "Nothing was put back." in result.output
    assert _row(ids["refused"]).status == OutboxStatus.failed

    assert outbox(app, "retry").exit_code == 2, "neither --id nor --all-failed"
    both = outbox(app, "retry", "--all-failed", "--id", str(ids["refused"]))
    assert both.exit_code == 2 and "--all-failed" in both.output
    not_a_number = outbox(app, "retry", "--id", "abc")
    assert not_a_number.exit_code == 2 and "abc" in not_a_number.output
    assert _row(ids["refused"]).status == OutboxStatus.failed


def test_addresses_are_masked():
    assert mask_address("taro@example.jp") == "t***@example.jp"
    assert mask_address("a@example.jp") == "a***@example.jp"
    assert mask_address("not an address") == "***"
    assert mask_address(None) == "-"
    assert mask_addresses("550 <taro.yamada+x@mail.example.jp>: no; also jiro@example.org.") == (
        "550 <t***@mail.example.jp>: no; also j***@example.org."
    )
    assert mask_addresses("no address here") == "no address here"
