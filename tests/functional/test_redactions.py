"""A scan or picture the service cannot read is replaced by a redacted copy (黒塗り) staff upload, and the
original is destroyed; both steps are in the audit trail (R14)."""

from __future__ import annotations

import io
import os
import re
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from comments.domain.audit import Actor
from comments.domain.redactions import destroy_replaced
from comments.extensions import db
from comments.models import AuditEvent, InboundMessage, RedactedCopy, Submission
from comments.permissions import Role
from comments.storage import blob_store
from tests.conftest import csrf_token_from
from tests.document_samples import pdf_bytes
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import post_comment


def picture() -> bytes:
    """A PNG (by its signature) no other test writes: the blob store is shared by the session's tests."""
    return b"\x89PNG\r\n\x1a\n" + os.urandom(64)


@pytest.fixture
def clerk(client):
    user = make_user(Role.secretariat)
    client.set_cookie("lang", "en")
    assert sign_in(client, user).status_code == 303
    return user


def _citizen_sends(app, consultation, *files: tuple[str, bytes]) -> Submission:
    public = app.test_client()
    assert post_comment(public, consultation, body="写しを添付します。", files=list(files)).status_code == 303
    return db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()


def _redact(client, submission, position: int, data: bytes | None, *, name="kuronuri.png", **fields):
    url = f"/staff/submissions/{submission.id}/attachments/{position}/redacted-copy"
    form = {
        "csrf_token": csrf_token_from(client.get(url).get_data(as_text=True)),
        "reason": "2ページの個人番号を黒塗り",
        "destroy": "y",
    }
    if data is not None:
        form["document"] = (io.BytesIO(data), name)
    form.update(fields)
    return client.post(url, data=form, content_type="multipart/form-data")


def _events(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def test_a_picture_is_replaced_by_its_redacted_copy_and_the_original_destroyed(app, client, clerk, blob_root):
    consultation = make_consultation()
    original, copy = picture(), picture()
    submission = _citizen_sends(app, consultation, ("mynumber-card.png", original))
    [attachment] = submission.attachments
    fingerprint = submission.fingerprint
    store = blob_store(app)
    assert store.read(attachment.sha256) == original

    page = client.get(f"/staff/submissions/{submission.id}").get_data(as_text=True)
    link = f"/staff/submissions/{submission.id}/attachments/1/redacted-copy"
    assert f'href="{link}"' in page, "reached from the submission page"
    response = _redact(client, submission, 1, copy)
    assert response.status_code == 303
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the file as it arrived has been destroyed" in shown
    assert "A redacted copy (黒塗り) made by" in shown and "mynumber-card.png" in shown

    with pytest.raises(FileNotFoundError):
        store.read(attachment.sha256)
    download = client.get(f"/staff/submissions/{submission.id}/attachments/1")
    assert download.status_code == 200 and download.data == copy
    db.session.expire_all()
    stored = db.session.get(Submission, submission.id)
    assert stored.fingerprint == fingerprint and stored.attachments[0].sha256 == attachment.sha256, (
        "the attachment's row stays as it arrived: the receipt still proves what was sent"
    )
    [redacted] = _events("attachment.redacted")
    assert redacted.detail["replaced"] == [attachment.sha256]
    [destroyed] = _events("attachment.original_destroyed")
    assert destroyed.detail["sha256"] == attachment.sha256 and destroyed.actor.startswith("user:")
    assert db.session.scalars(select(RedactedCopy)).one().reason == "2ページの個人番号を黒塗り"


def test_the_citizens_receipt_hands_out_the_copy(app, client, clerk):
    consultation = make_consultation()
    public = app.test_client()
    original, copy = picture(), picture()
    response = post_comment(public, consultation, files=[("scan.png", original)])
    receipt = response.headers["Location"]
    submission = db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()
    assert _redact(client, submission, 1, copy).status_code == 303
    assert public.get(f"{receipt}/attachments/1").data == copy


@pytest.mark.parametrize(
    ("data", "name", "fields", "message"),
    [
        (None, "x.png", {}, "Choose the redacted copy to upload"),
        (b"MZ\x90\x00", "copy.exe", {}, "is not an allowed type"),
        (pdf_bytes([["番号 6214 9832 0257"]]), "copy.pdf", {}, "still holds what looks like an individual number"),
        (b"\x89PNG\r\n\x1a\nsame", "copy.png", {"reason": ""}, "Say what was blacked out"),
        (b"\x89PNG\r\n\x1a\nsame", "copy.png", {"destroy": ""}, "Confirm that the file as it arrived may be destroyed"),
    ],
    ids=["no-file", "wrong-type", "pdf-still-holds-the-number", "no-reason", "not-confirmed"],
)
def test_a_bad_copy_is_refused_with_the_reason_and_nothing_changes(app, client, clerk, data, name, fields, message):
    consultation = make_consultation()
    original = picture()
    submission = _citizen_sends(app, consultation, ("scan.png", original))
    response = _redact(client, submission, 1, data, name=name, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'id="error-summary"' in html
    assert db.session.scalar(select(func.count()).select_from(RedactedCopy)) == 0
    assert blob_store(app).read(submission.attachments[0].sha256) == original


def test_the_same_file_as_kept_is_refused(app, client, clerk):
    original = picture()
    submission = _citizen_sends(app, make_consultation(), ("scan.png", original))
    response = _redact(client, submission, 1, original)
    assert response.status_code == 422
    assert "the same file as the one kept" in response.get_data(as_text=True)


def test_department_staff_and_another_scope_may_not_replace(app, client):
    submission = _citizen_sends(app, make_consultation(), ("scan.png", picture()))
    staff = make_user(Role.department_staff)
    assert sign_in(client, staff).status_code == 303
    url = f"/staff/submissions/{submission.id}/attachments/1/redacted-copy"
    assert client.get(url).status_code in (403, 404)
    page = client.get(f"/staff/submissions/{submission.id}")
    assert "redacted-copy" not in page.get_data(as_text=True)


def test_the_same_file_twice_is_destroyed_when_the_last_one_is_replaced(app, client, clerk):
    consultation = make_consultation()
    original = picture()
    first = _citizen_sends(app, consultation, ("scan.png", original))
    second = _citizen_sends(app, consultation, ("scan-again.png", original))
    response = _redact(client, first, 1, picture())
    assert "as soon as no other submission holds the same file" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert blob_store(app).read(first.attachments[0].sha256) == original, "the second submission still holds it"
    assert _events("attachment.original_destroyed") == []

    assert _redact(client, second, 1, picture()).status_code == 303
    with pytest.raises(FileNotFoundError):
        blob_store(app).read(first.attachments[0].sha256)
    assert len(_events("attachment.original_destroyed")) == 2


def test_a_second_copy_replaces_the_first_which_is_destroyed(app, client, clerk):
    submission = _citizen_sends(app, make_consultation(), ("scan.png", picture()))
    first_copy, better = picture(), picture()
    assert _redact(client, submission, 1, first_copy).status_code == 303
    first_sha = db.session.scalars(select(RedactedCopy)).one().sha256
    assert _redact(client, submission, 1, better).status_code == 303
    assert client.get(f"/staff/submissions/{submission.id}/attachments/1").data == better
    with pytest.raises(FileNotFoundError):
        blob_store(app).read(first_sha)
    [replaced] = _events("attachment.replaced_destroyed")
    assert replaced.detail == {**replaced.detail, "what": "copy", "sha256": first_sha}


def test_the_worker_destroys_what_could_not_be_destroyed_at_once(app, client, clerk, monkeypatch):
    submission = _citizen_sends(app, make_consultation(), ("scan.png", picture()))
    from comments.storage import LocalBlobStore

    def refuse(self, sha256):
        raise OSError("the disk is read-only for a moment")

    monkeypatch.setattr(LocalBlobStore, "delete", refuse)
    response = _redact(client, submission, 1, picture())
    assert response.status_code == 303, "the copy is kept all the same"
    assert "as soon as no other submission holds" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(select(RedactedCopy)).one().original_destroyed_at is None, "the copy is committed"
    monkeypatch.undo()
    with app.app_context():
        assert destroy_replaced(blob_store(), Actor("worker")) == 1
        db.session.commit()
    with pytest.raises(FileNotFoundError):
        blob_store(app).read(submission.attachments[0].sha256)


def test_a_picture_that_came_by_e_mail_is_replaced_in_the_kept_message_too(app, client, clerk, tmp_path):
    from comments.domain.committee import rotate_intake_token
    from comments.models import User
    from tests.functional.test_mail_intake import address, ingest, message

    member = make_user(Role.member, email="iin.kuronuri@example.jp")
    with app.app_context():
        rotate_intake_token(db.session.get(User, member.id), Actor("test"))
        db.session.commit()
    db.session.expire_all()
    member = db.session.get(User, member.id)
    make_consultation()
    original, copy = picture(), picture()
    raw = message(sender=member.email, to=address(app, member), attachments=[("card.png", original, "image", "png")])
    assert "accepted" in ingest(app, raw, tmp_path)
    inbound = db.session.scalars(select(InboundMessage)).one()
    kept_before = inbound.raw_sha256
    submission = inbound.submission

    assert _redact(client, submission, 1, copy).status_code == 303
    db.session.expire_all()
    inbound = db.session.get(InboundMessage, inbound.id)
    assert inbound.raw_sha256 != kept_before
    kept = message_from_bytes(blob_store(app).read(inbound.raw_sha256), policy=policy.default)
    [part] = list(kept.iter_attachments())
    assert part.get_payload(decode=True) == copy
    assert kept["X-Comments-Redacted"]
    for sha256 in (kept_before, submission.attachments[0].sha256):
        with pytest.raises(FileNotFoundError):
            blob_store(app).read(sha256)
    whats = sorted(event.detail["what"] for event in _events("attachment.replaced_destroyed"))
    assert whats == ["message"] and len(_events("attachment.original_destroyed")) == 1
    # The quarantine page reads the kept message: it shows the copy, never the original.
    assert re.search(rb"X-Comments-Redacted", blob_store(app).read(inbound.raw_sha256))
