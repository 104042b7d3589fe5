"""Files kept in a folder or in an S3 bucket (BLOB_STORAGE), never deleted by a rollback, collected by
`flask blobs gc` once nothing refers to them, and checked by `flask blobs verify`.

The S3 bucket is on moto's server over real HTTP on 127.0.0.1 (tests/s3_server.py); it needs no flag and
never skips. Each test builds an app of its own on the session's database, keeping its files in a folder
of its own or a bucket of its own: the collector must not see the other tests' files.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from comments import create_app
from comments.domain.blobs import is_kept, kept_blobs, referenced_digests
from comments.extensions import db
from comments.models import (
    Attachment,
    BlobDestruction,
    DestroyedBlob,
    InboundMessage,
    InboundStatus,
    Material,
    MaterialKind,
    RedactedCopy,
    Submission,
)
from comments.permissions import Role
from comments.storage import LocalBlobStore, S3BlobStore, blob_store
from config import TestingConfig
from tests.factories import make_consultation, make_submission, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import PDF, post_comment


def unique_pdf() -> bytes:
    return PDF + b"% " + os.urandom(8).hex().encode() + b"\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def app_with(database_url: str, instance: Path, **settings):
    return create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=instance,
        ATTACHMENT_STORAGE=instance / "attachments",
        MAIL_PORT=1,
        **settings,
    )


@pytest.fixture(params=["local", "s3"])
def blob_app(request, database_url, tmp_path):
    """An app keeping its files in a folder of its own (local) or a bucket of its own (s3)."""
    settings = request.getfixturevalue("s3_bucket").settings() if request.param == "s3" else {}
    return app_with(database_url, tmp_path, **settings)


@pytest.fixture
def s3_app(database_url, tmp_path, s3_bucket):
    return app_with(database_url, tmp_path, **s3_bucket.settings())


def latest_submission() -> Submission:
    return db.session.scalars(select(Submission).order_by(Submission.id.desc())).first()


def gc(app, *args: str):
    return app.test_cli_runner().invoke(args=["blobs", "gc", *args])


def verify(app):
    return app.test_cli_runner().invoke(args=["blobs", "verify"])


def test_a_citizens_file_is_kept_in_the_bucket_and_handed_to_staff(s3_app, s3_bucket, tmp_path):
    flyer = unique_pdf()
    citizen = s3_app.test_client()
    response = post_comment(citizen, make_consultation(), body="添付のとおり。", files=[("意見書.pdf", flyer)])
    assert response.status_code == 303
    submission = latest_submission()
    [attachment] = submission.attachments
    assert attachment.sha256 == sha(flyer)
    assert s3_bucket.object_keys() == [f"blobs/{sha(flyer)[:2]}/{sha(flyer)}"]
    assert not (tmp_path / "attachments").exists(), "nothing in the local folder"

    staff = s3_app.test_client()
    assert sign_in(staff, make_user(Role.secretariat)).status_code == 303
    download = staff.get(f"/staff/submissions/{submission.id}/attachments/1")
    assert download.status_code == 200
    assert download.data == flyer
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_the_app_builds_the_store_its_settings_name(s3_app, s3_bucket, app):
    store = blob_store(s3_app)
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix, store.endpoint_url) == (s3_bucket.name, "blobs/", s3_bucket.endpoint_url)
    assert isinstance(blob_store(app), LocalBlobStore)


def test_a_rolled_back_request_does_not_delete_a_blob_a_committed_row_points_to(blob_app, monkeypatch):
    """Request B stores a campaign's flyer first, then fails to commit; meanwhile request A stored the same
    bytes (already there: a blob is kept once) and committed a row pointing at them. B's rollback must leave
    the blob, or A's submission would point at nothing."""
    consultation = make_consultation()
    store = blob_store(blob_app)
    flyer = unique_pdf()
    assert not store.exists(sha(flyer))
    commit = db.session.commit
    calls = []

    def b_fails_after_a_committed():
        calls.append("commit")
        if len(calls) > 1:
            return commit()  # request A's own commit
        # B wrote the blob; its transaction is lost (rolled back here, before A's work, as it would be on
        # a server where they run apart) while A stores the same file and commits.
        assert store.exists(sha(flyer))
        db.session.rollback()
        with blob_app.app_context():  # A's own (a request inside B's would share B's app context and session)
            response_a = post_comment(blob_app.test_client(), consultation, body="A", files=[("flyer.pdf", flyer)])
        assert response_a.status_code == 303
        raise RuntimeError("B's database connection went away")

    request_b = blob_app.test_client()
    token_page = request_b.get(f"/consultations/{consultation.slug}/comment")
    assert token_page.status_code == 200
    monkeypatch.setattr(db.session, "commit", b_fails_after_a_committed)
    response_b = post_comment(request_b, consultation, body="B", files=[("flyer.pdf", flyer)])
    monkeypatch.undo()
    assert response_b.status_code == 500
    assert [submission.body for submission in db.session.scalars(select(Submission))] == ["A"]
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert attachment.sha256 == sha(flyer)
    assert store.read(sha(flyer)) == flyer, "A's file is still there"


def test_gc_removes_what_nothing_refers_to_once_it_is_old_enough(blob_app, frozen_clock):
    store = blob_store(blob_app)
    kept = unique_pdf()
    assert post_comment(blob_app.test_client(), make_consultation(), files=[("kept.pdf", kept)]).status_code == 303
    orphans = [os.urandom(100), os.urandom(200)]  # what two failed requests left
    for data in orphans:
        store.put(data)
    frozen_clock.set(frozen_clock.current + timedelta(hours=2))

    result = gc(blob_app)
    assert result.exit_code == 0, result.output
    assert result.output.endswith(
        "kept 1 referenced blob(s) and 2 unreferenced one(s) younger than 24 hour(s); "
        "removed 0 unreferenced blob(s) (0 bytes)\n"
    )
    assert all(store.exists(sha(data)) for data in orphans)

    result = gc(blob_app, "--older-than-hours", "1")
    assert result.exit_code == 0, result.output
    assert result.output.endswith(
        "kept 1 referenced blob(s) and 0 unreferenced one(s) younger than 1 hour(s); "
        "removed 2 unreferenced blob(s) (300 bytes)\n"
    )
    assert not any(store.exists(sha(data)) for data in orphans)
    assert store.read(sha(kept)) == kept

    again = gc(blob_app, "--older-than-hours", "1")
    assert "removed 0 unreferenced blob(s)" in again.output


def test_gc_spares_an_old_orphan_stored_again_by_a_request_not_yet_committed(database_url, tmp_path, frozen_clock):
    """A citizen sends again the file of a request that failed days ago: the put finds it and renews it, so
    the collector, running before that request commits, leaves it. (The folder's times follow the service's
    clock; an S3 store stamps its own, which the test cannot move.)"""
    app = app_with(database_url, tmp_path)
    store = blob_store(app)
    data = os.urandom(100)
    store.put(data)
    frozen_clock.set(frozen_clock.current + timedelta(days=3))
    store.put(data)  # the new request's put; its row is not committed yet
    result = gc(app, "--older-than-hours", "24")
    assert "removed 0 unreferenced blob(s)" in result.output
    assert store.read(sha(data)) == data


@pytest.mark.parametrize("hours", ["0", "-1", "soon"])
def test_gc_refuses_an_age_it_cannot_keep_safe(app, hours):
    result = gc(app, "--older-than-hours", hours)
    assert result.exit_code == 2
    assert "Invalid value for '--older-than-hours'" in result.output


def test_verify_reads_every_kept_blob_and_names_the_missing_and_damaged_ones(blob_app):
    store = blob_store(blob_app)
    first, second = unique_pdf(), unique_pdf()
    response = post_comment(blob_app.test_client(), make_consultation(), files=[("1.pdf", first), ("2.pdf", second)])
    assert response.status_code == 303
    attachments = {attachment.position: attachment.id for attachment in latest_submission().attachments}
    store.put(os.urandom(10))  # an orphan: not checked, nothing keeps it

    result = verify(blob_app)
    assert result.exit_code == 0, result.output
    assert result.output.endswith("2 blob(s) kept by the records, 2 read; 0 missing, 0 damaged\n")

    tampered = b"not the file that came"
    if isinstance(store, LocalBlobStore):
        store.path_for(sha(first)).write_bytes(tampered)
    else:
        store.client.put_object(Bucket=store.bucket, Key=store.key_for(sha(first)), Body=tampered)
    store.delete(sha(second))

    result = verify(blob_app)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"missing: {sha(second)}, kept by attachments {attachments[2]}" in lines
    assert (
        f"damaged: {sha(first)} holds bytes whose SHA-256 is {sha(tampered)}, kept by attachments {attachments[1]}"
        in lines
    )
    assert lines[-1].endswith("2 blob(s) kept by the records, 1 read; 1 missing, 1 damaged")


def test_every_digest_column_is_referenced_and_only_kept_ones_are_verified(app_context):
    """One row in each column of comments/domain/blobs.py, on the database under test: the collector keeps
    them all; verify reads only what a row keeps (not the original a redacted copy replaced)."""
    submission = make_submission(make_consultation())
    clerk = make_user(Role.secretariat)
    digests = {name: os.urandom(32).hex() for name in ("original", "copy", "material", "raw", "masked away")}
    attachment = Attachment(
        submission=submission,
        position=1,
        filename="scan.png",
        content_type="image/png",
        size=1,
        sha256=digests["original"],
    )
    db.session.add(attachment)
    copy = RedactedCopy(
        attachment=attachment, filename="kuronuri.png", content_type="image/png", size=1, sha256=digests["copy"],
        made_by_id=clerk.id,
    )  # fmt: skip
    copy.destructions.append(BlobDestruction(sha256=digests["original"], what=DestroyedBlob.original))
    db.session.add(copy)
    consultation = submission.consultation
    consultation.materials.append(
        Material(
            kind=MaterialKind.reference, title="資料", filename="a.pdf", content_type="application/pdf", size=1,
            sha256=digests["material"],
        )
    )  # fmt: skip
    db.session.add(
        InboundMessage(
            message_key=os.urandom(32).hex(), source="pipe", received_at=submission.received_at, size=1,
            raw_sha256=digests["raw"], original_sha256=digests["masked away"], status=InboundStatus.quarantined,
        )
    )  # fmt: skip
    db.session.flush()

    assert set(digests.values()) <= referenced_digests()
    kept = kept_blobs()
    assert {digests[name] for name in ("copy", "material", "raw")} <= set(kept)
    assert digests["original"] not in kept, "replaced by its redacted copy: destroyed, not missing"
    assert digests["masked away"] not in kept, "the e-mail before masking was never stored"
    assert kept[digests["copy"]] == [f"redacted_copies {copy.id}"]
    assert is_kept(digests["copy"]) and not is_kept(digests["original"])

    # The same scan sent by someone else, not replaced: its bytes are kept, and wait for their destruction.
    other = make_submission(consultation)
    db.session.add(
        Attachment(
            submission=other,
            position=1,
            filename="scan.png",
            content_type="image/png",
            size=1,
            sha256=digests["original"],
        )
    )
    db.session.flush()
    assert is_kept(digests["original"])
    assert kept_blobs()[digests["original"]] == [f"attachments {other.attachments[0].id}"]
