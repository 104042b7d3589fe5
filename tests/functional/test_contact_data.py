"""Contact data sealed at rest and deleted on the date the notice promises (R46)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from comments.crypto import ContactKeyError, KeyRing
from comments.extensions import db
from comments.models import AuditEvent, Consultation, OutboxMessage, Submission, Submitter
from tests.factories import SUBMITTER, make_consultation, make_mail, make_submission
from tests.functional.helpers import post_comment

NAME, EMAIL, CONTACT = "千葉太郎", "taro.chiba@example.jp", "043-245-0000 千葉市中央区千葉港1-1"


def _raw(sql: str, submission: Submission) -> list[tuple]:
    """What a dump of the database shows: the stored text, read without the model's column types."""
    return [tuple(row) for row in db.session.execute(text(sql), {"id": submission.id}).all()]


CONTACT_COLUMNS = "SELECT name, email, contact FROM submitters WHERE submission_id = :id"


def _submit(client, consultation) -> Submission:
    response = post_comment(client, consultation, name=NAME, email=EMAIL, contact=CONTACT, body="保存期間の意見です。")
    assert response.status_code == 303
    return db.session.scalars(select(Submission).where(Submission.consultation_id == consultation.id)).one()


def test_contact_data_is_unreadable_in_the_raw_columns_and_opens_through_the_model(client):
    consultation = make_consultation()
    submission = _submit(client, consultation)

    raw = _raw(CONTACT_COLUMNS, submission)
    (receipt_to,) = _raw("SELECT to_address FROM outbox_messages WHERE submission_id = :id", submission)
    dump = repr([*raw, receipt_to])
    for plain in (NAME, EMAIL, CONTACT, "taro", "千葉太郎", "0000"):
        assert plain not in dump
    for value in [*raw[0], receipt_to[0]]:
        assert value.startswith("enc1:test1:"), "sealed under the first key of CONTACT_DATA_KEYS"

    db.session.expire_all()
    submitter = db.session.scalars(select(Submitter).where(Submitter.submission_id == submission.id)).one()
    assert (submitter.name, submitter.email, submitter.contact) == (NAME, EMAIL, CONTACT)
    assert db.session.scalars(select(OutboxMessage)).one().to_address == EMAIL


def test_equal_values_are_sealed_differently_and_bound_to_their_column(app):
    ring = KeyRing.parse(app.config["CONTACT_DATA_KEYS"])
    first, second = ring.seal(NAME, "submitters.name"), ring.seal(NAME, "submitters.name")
    assert first != second, "a new nonce each time: equal names are not seen as equal in a dump"
    assert ring.unseal(first, "submitters.name") == NAME
    with pytest.raises(ContactKeyError, match=r"submitters\.contact"):
        ring.unseal(first, "submitters.contact")
    other = KeyRing.parse("other:" + "A" * 43)
    with pytest.raises(ContactKeyError, match="test1"):
        other.unseal(first, "submitters.name")


def test_keys_rotate_seals_every_value_again_under_the_first_key(app, client):
    consultation = make_consultation()
    submission = _submit(client, consultation)
    # Values sealed under the older key, and one written before encryption existed.
    ring = KeyRing.parse(app.config["CONTACT_DATA_KEYS"])
    old = KeyRing("old", ring.keys)
    db.session.execute(
        text("UPDATE submitters SET name = :name, contact = :contact WHERE submission_id = :id"),
        {"name": old.seal(NAME, "submitters.name"), "contact": CONTACT, "id": submission.id},
    )
    db.session.commit()

    output = app.test_cli_runner().invoke(args=["keys", "rotate"]).output
    assert "sealed 2 value(s) again under key test1" in output

    ((name, email, contact),) = _raw(CONTACT_COLUMNS, submission)
    assert all(value.startswith("enc1:test1:") for value in (name, email, contact))
    db.session.expire_all()
    submitter = db.session.scalars(select(Submitter).where(Submitter.submission_id == submission.id)).one()
    assert (submitter.name, submitter.email, submitter.contact) == (NAME, EMAIL, CONTACT)
    assert "sealed 0 value(s)" in app.test_cli_runner().invoke(args=["keys", "rotate"]).output


def test_keys_new_prints_an_entry_the_key_ring_accepts(app):
    entry = app.test_cli_runner().invoke(args=["keys", "new", "--id", "2027"]).output.strip()
    assert entry.startswith("2027:")
    assert KeyRing.parse(entry).current == "2027"
    refused = app.test_cli_runner().invoke(args=["keys", "new", "--id", "bad id"])
    assert refused.exit_code == 2 and "is not a key id" in refused.output


def _published(days: int, frozen_clock) -> tuple[Consultation, Submission]:
    consultation = make_consultation(contact_retention_days=days)
    submission = make_submission(consultation, body="意見の本文は残ります。")
    make_mail(submission)
    consultation.results_published_at = frozen_clock.current
    db.session.commit()
    return consultation, submission


def _contact_of(submission: Submission) -> tuple[str, str, str]:
    db.session.expire_all()
    submitter = db.session.scalars(select(Submitter).where(Submitter.submission_id == submission.id)).one()
    return submitter.name, submitter.email, submitter.contact


def test_purge_deletes_contact_data_on_the_promised_date_and_keeps_the_opinion(app, client, frozen_clock):
    consultation, submission = _published(30, frozen_clock)
    _kept, kept_submission = _published(60, frozen_clock)
    promised = consultation.contact_data_deleted_on
    assert promised == frozen_clock.current + timedelta(days=30)
    notice = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "30日後" in notice, "the public notice shows the promise"
    runner = app.test_cli_runner()

    frozen_clock.set(promised - timedelta(minutes=1))
    assert "nothing is due" in runner.invoke(args=["purge"]).output
    assert _contact_of(submission) == SUBMITTER

    frozen_clock.set(promised)
    dry = runner.invoke(args=["purge", "--dry-run"]).output
    assert f"consultation {consultation.id}: would delete the contact data of 1 submitter(s) and 1 mail(s)" in dry
    assert _contact_of(submission) == SUBMITTER, "--dry-run changes nothing"
    assert (
        db.session.scalar(select(Consultation.contact_data_deleted_at).where(Consultation.id == consultation.id))
        is None
    )
    assert not db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.contact_data_deleted")
    ).all()

    events_before = db.session.scalars(select(AuditEvent.id)).all()
    done = runner.invoke(args=["purge"]).output
    assert f"consultation {consultation.id}: deleted the contact data of 1 submitter(s) and 1 mail(s)" in done
    assert _contact_of(submission) == ("", "", "")
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.submission_id == submission.id)).all() == []
    stored = db.session.get(Submission, submission.id)
    assert stored.body == "意見の本文は残ります。" and stored.receipt_number == submission.receipt_number
    events_after = db.session.scalars(select(AuditEvent)).all()
    assert {event.id for event in events_after} >= set(events_before), "the audit trail is never touched"
    (event,) = [event for event in events_after if event.action == "consultation.contact_data_deleted"]
    assert event.object_id == str(consultation.id) and event.actor == "cli"
    assert _contact_of(kept_submission) == SUBMITTER, "another consultation's period has not ended"

    assert "nothing is due" in runner.invoke(args=["purge"]).output, "deleted once"
    notice = client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)
    assert "削除しました" in notice


def test_the_worker_deletes_what_is_due_once_a_day(app, frozen_clock, monkeypatch):
    from comments import worker

    consultation, submission = _published(1, frozen_clock)
    monkeypatch.setattr(worker, "_contact_data_checked_at", None)
    frozen_clock.set(frozen_clock.current + timedelta(hours=23))
    with app.app_context():
        worker.delete_contact_data(0)
    assert _contact_of(submission) == SUBMITTER
    frozen_clock.set(frozen_clock.current + timedelta(hours=1))
    with app.app_context():
        worker.delete_contact_data(0)
    assert _contact_of(submission) == SUBMITTER, "checked less than a day ago: the next check is tomorrow"
    frozen_clock.set(frozen_clock.current + timedelta(days=1))
    with app.app_context():
        worker.delete_contact_data(0)
    assert _contact_of(submission) == ("", "", "")
    assert db.session.get(Consultation, consultation.id).contact_data_deleted_at is not None
