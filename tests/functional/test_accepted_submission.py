"""accept_submission writes its rows with single INSERT statements, not through the ORM's unit of work, and
makes the ORM object it hands back from the values it wrote: that object must be the stored submission,
column for column, with its submitter (contact data in clear, sealed in the database) and its attachments."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select, text

from comments.domain.audit import Actor
from comments.domain.intake import SubmissionDraft, accept_submission, prepare_submission
from comments.domain.uploads import CheckedFile, MaskedFile
from comments.extensions import db
from comments.models import Attachment, AuditEvent, Consultation, OutboxMessage, Submission, Submitter, SubmitterKind
from comments.storage import blob_store
from tests.factories import make_consultation


def columns(obj) -> dict:
    return {attribute.key: getattr(obj, attribute.key) for attribute in inspect(type(obj)).column_attrs}


def accept(app, consultation, draft, *, prepared: bool):
    with app.test_request_context():
        store = blob_store()
        given = prepare_submission(consultation, draft, blob_store=store) if prepared else draft
        accepted = accept_submission(
            db.session.get(Consultation, consultation.id),
            given,
            received_at=datetime.now(UTC),
            actor=Actor("user:1", ip="192.0.2.1"),
            blob_store=store,
        )
        handed_back = accepted.submission
        as_written = {
            "submission": columns(handed_back),
            "submitter": columns(handed_back.submitter),
            "attachments": [columns(attachment) for attachment in handed_back.attachments],
            "consultation": handed_back.consultation.id,
        }
        db.session.commit()  # the request's own session; the test's transaction still ends rolled back
        return accepted, as_written


def test_the_submission_handed_back_is_the_row_stored(app):
    consultation = make_consultation()
    for prepared in (False, True):
        draft = SubmissionDraft(
            body="意見です。番号 6214 9832 0257 を書きました。",
            submitter_kind=SubmitterKind.organisation,
            name="山田花子",
            email="hanako@example.jp",
            contact="千葉市中央区1-1",
            consented=True,
            section_id=consultation.sections[0].id,
            files=[
                MaskedFile(CheckedFile("memo.txt", "text/plain; charset=utf-8", "覚え書き".encode()), numbers=0),
                MaskedFile(CheckedFile("b.txt", "text/plain; charset=utf-8", b"second"), numbers=1),
            ],
        )
        accepted, as_written = accept(app, consultation, draft, prepared=prepared)
        assert accepted.receipt_number == as_written["submission"]["receipt_number"]
        assert accepted.submission_id == as_written["submission"]["id"]

        db.session.expunge_all()
        stored = db.session.get(Submission, accepted.submission_id)
        assert as_written == {
            "submission": columns(stored),
            "submitter": columns(stored.submitter),
            "attachments": [columns(attachment) for attachment in stored.attachments],
            "consultation": consultation.id,
        }
        assert stored.masked_numbers == 2 and "6214" not in stored.body
        assert stored.submitter.email == "hanako@example.jp"
        sealed = db.session.execute(
            text("SELECT email FROM submitters WHERE id = :id"), {"id": stored.submitter.id}
        ).scalar_one()
        assert sealed.startswith("enc1:") and "hanako" not in sealed
        assert [a.position for a in stored.attachments] == [1, 2]
        assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.submission_id == stored.id))
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "submission.accepted", AuditEvent.object_id == str(stored.id))
        ).one()
        assert event.object_type == "submissions"
        assert event.detail == {
            "receipt_number": stored.receipt_number,
            "channel": "web",
            "attachments": 2,
            "masked_numbers": 2,
        }
    assert db.session.scalar(select(db.func.count()).select_from(Attachment)) >= 4
    assert db.session.scalar(select(db.func.count()).select_from(Submitter)) >= 2


def test_the_forms_post_finds_its_consultation_as_the_pages_do(client):
    """The POST reads its consultation as one plain row; a draft, an unknown slug, a closed or a not yet open
    consultation are answered as before, and nothing is stored."""
    from datetime import timedelta

    from comments.models import ConsultationStatus
    from tests.conftest import csrf_token_from
    from tests.functional.helpers import form_url

    open_one = make_consultation()
    token = csrf_token_from(client.get(form_url(open_one)).get_data(as_text=True))
    now = datetime.now(UTC)
    cases = [
        (make_consultation(status=ConsultationStatus.draft).slug, 404),
        ("no-such-consultation", 404),
        (make_consultation(opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=9)).slug, 403),
        (make_consultation(opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=30)).slug, 403),
        (make_consultation(status=ConsultationStatus.closed).slug, 403),
    ]
    before = db.session.scalar(select(db.func.count()).select_from(Submission))
    for slug, status in cases:
        answer = client.post(
            f"/consultations/{slug}/comment",
            data={"csrf_token": token, "body": "意見です。", "submitter_kind": "citizen", "consent": "y"},
            content_type="multipart/form-data",
        )
        assert answer.status_code == status, slug
    assert db.session.scalar(select(db.func.count()).select_from(Submission)) == before
    accepted = client.post(
        form_url(open_one),
        data={"csrf_token": token, "body": "意見です。", "submitter_kind": "citizen", "consent": "y"},
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 303
