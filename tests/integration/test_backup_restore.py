"""Backup and restore, rehearsed: `flask backup` of a running service (the demo's data, its files in an S3
bucket), `flask restore` into a fresh database and a fresh bucket, and the copy proves itself whole with
`flask audit verify` and `flask blobs verify`. On the PostgreSQL pass the dump is pg_dump's."""

from __future__ import annotations

import json

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select

from comments import create_app
from comments.domain.blobs import kept_blobs
from comments.extensions import db
from comments.models import Attachment, AuditEvent, Consultation, Material, Submission
from config import TestingConfig
from tests import dbutil

pytestmark = pytest.mark.no_db_session
COUNTED = (Consultation, Submission, Attachment, Material, AuditEvent)


@pytest.fixture
def service(tmp_path, moto_server):
    """Make an app on a new database and a new bucket; every one made is dropped at the end."""
    made = []

    def make(label: str):
        url = dbutil.create_database(tmp_path, label)
        bucket = moto_server.new_bucket()
        folder = tmp_path / label
        app = create_app(
            TestingConfig,
            SQLALCHEMY_DATABASE_URI=url,
            INSTANCE_PATH=folder,
            ATTACHMENT_STORAGE=folder / "files",
            AUDIT_HEAD_FILE=str(folder / "heads.log"),
            MAIL_PORT=1,
            **bucket.settings(),
        )
        made.append((app, url, bucket))
        return app, bucket

    yield make
    for app, url, bucket in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        dbutil.drop_database(url)
        bucket.delete()


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED}


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_a_backup_restored_into_a_fresh_database_and_bucket_verifies(service, tmp_path):
    source, source_bucket = service("source")
    with source.app_context():
        upgrade()
    assert _cli(source, "seed-demo")[0] == 0
    assert _cli(source, "worker", "--once")[0] == 0  # seals the audit trail
    with source.app_context():
        kept = kept_blobs()
    assert kept, "the demo keeps files (the draft PDFs, attachments)"
    assert set(kept) <= {key.rsplit("/", 1)[-1] for key in source_bucket.object_keys()}, "kept in the bucket"
    before = _counts(source)
    assert before["AuditEvent"] > 0 and before["Submission"] > 0

    code, output = _cli(source, "backup", str(tmp_path / "backup"))
    assert code == 0, output
    assert f"{len(kept)} files" in output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(blob["sha256"] for blob in manifest["blobs"]) == sorted(kept)
    assert manifest["audit_head"]["seq"] > 0

    target, target_bucket = service("target")
    assert target_bucket.object_keys() == []
    code, output = _cli(target, "restore", str(tmp_path / "backup"))
    assert code == 0, output
    assert f"{len(kept)} written" in output
    assert sorted(key.rsplit("/", 1)[-1] for key in target_bucket.object_keys()) == sorted(kept)

    # The copy's chain reaches the head the source had published when it was backed up.
    heads = tmp_path / "heads.log"
    heads.write_text(manifest["audit_head"]["line"] + "\n", encoding="utf-8")
    code, output = _cli(target, "audit", "verify", "--head", str(heads))
    assert code == 0, output
    code, output = _cli(target, "blobs", "verify")
    assert code == 0, output
    assert _counts(target) == before


def test_a_damaged_backup_restores_nothing_and_a_live_database_is_never_overwritten(service, tmp_path):
    source, _bucket = service("source")
    with source.app_context():
        upgrade()
    assert _cli(source, "seed-demo")[0] == 0
    assert _cli(source, "backup", str(tmp_path / "backup"))[0] == 0

    code, output = _cli(source, "backup", str(tmp_path / "backup"))
    assert code != 0 and "not empty" in output
    assert "incomplete" not in output, "a good backup already there is never called incomplete"
    assert (tmp_path / "backup" / "manifest.json").is_file()

    code, output = _cli(source, "restore", str(tmp_path / "backup"))
    assert code != 0 and "not empty" in output, "restoring over the live database is refused"

    damaged = next((tmp_path / "backup" / "blobs").rglob("*"), None)
    while damaged is not None and damaged.is_dir():
        damaged = next(damaged.iterdir())
    damaged.write_bytes(b"not what was kept")
    target, target_bucket = service("target")
    code, output = _cli(target, "restore", str(tmp_path / "backup"))
    assert code != 0 and "damaged" in output
    with target.app_context():
        assert inspect(db.engine).get_table_names() == []
    assert target_bucket.object_keys() == []

    code, output = _cli(target, "restore", str(tmp_path))
    assert code != 0 and "manifest.json does not exist" in output
