"""A backup an operator can restore: the database and every file the records keep, in one folder.

``flask backup DIR`` writes

* ``database.dump``: PostgreSQL's own dump (``pg_dump --format=custom``), or on SQLite a consistent copy
  made with SQLite's online backup (``database.sqlite3``);
* ``blobs/``: a copy of every file a row keeps (comments/domain/blobs.py ``kept_blobs``), read from the
  blob store whichever it is (a folder or an S3 bucket), checked against its SHA-256 on the way;
* ``manifest.json``: when, which schema revision, the audit chain's head, the dump's SHA-256, and every
  blob with its size. It is written last: a folder without it is an interrupted backup.

``flask restore DIR`` loads such a folder into an EMPTY database and the configured blob store (a fresh
bucket, say) and checks each file against the manifest; ``flask audit verify`` and ``flask blobs verify``
then prove the copy whole. The contact-data keys (CONTACT_DATA_KEYS) are never in a backup: keep them
apart, the copy's contact data is unreadable without them.

Hand-written around the database's own tools (pg_dump, pg_restore, SQLite's backup API): no kept library
backs up a database together with an object store.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.migration import MigrationContext
from sqlalchemy import inspect

from comments import clock
from comments.domain.audit import current_head
from comments.domain.blobs import kept_blobs
from comments.extensions import db
from comments.storage import BlobStore

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A backup or a restore cannot go on; the message says why and what to do. ``wrote`` says whether the
    backup had written into its folder by then (what it left there is then incomplete)."""

    def __init__(self, message: str, *, wrote: bool = True):
        super().__init__(message)
        self.wrote = wrote


@dataclass
class BackupSummary:
    folder: Path
    database_file: str
    blobs: int
    blob_bytes: int
    audit_seq: int | None


def _libpq(url) -> tuple[list[str], dict[str, str]]:
    """pg_dump's connection options for a SQLAlchemy URL, the password in the environment (never in ``ps``)."""
    options = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432), "--dbname", url.database or ""]
    if url.username:
        options += ["--username", url.username]
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return options, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(
            f"{tool} is not installed: install PostgreSQL's client programs of the server's version "
            "(on Debian: apt install postgresql-client)"
        )
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{tool} failed ({done.returncode}): {done.stderr.strip()[:2000]}")


def _file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _blob_path(folder: Path, sha256: str) -> Path:
    BlobStore.check_digest(sha256)
    return folder / "blobs" / sha256[:2] / sha256


def _schema_revision() -> str | None:
    return MigrationContext.configure(db.session.connection()).get_current_revision()


def make_backup(
    folder: Path, store: BlobStore, *, progress: Callable[[str], None] = lambda _line: None
) -> BackupSummary:
    """Write a backup of the app's database and kept blobs into ``folder`` (new, or empty)."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: give a new folder for each backup", wrote=False)
    folder.mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    revision = _schema_revision()
    head = current_head()
    kept = kept_blobs()
    db.session.commit()  # the reads above end here; the dump takes its own snapshot

    if url.get_backend_name() == "postgresql":
        database_file = "database.dump"
        options, environment = _libpq(url)
        progress("dumping the PostgreSQL database with pg_dump")
        _run(
            [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                *options,
                "--file",
                str(folder / database_file),
            ],
            environment,
        )
    elif url.get_backend_name() == "sqlite":
        database_file = "database.sqlite3"
        progress("copying the SQLite database with its online backup")
        source = sqlite3.connect(url.database)
        target = sqlite3.connect(folder / database_file)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        raise BackupError(f"cannot back up a {url.get_backend_name()} database")

    blobs = []
    total = 0
    progress(f"copying {len(kept)} files from the blob store ({store.describe()})")
    for sha256 in sorted(kept):
        target = _blob_path(folder, sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        try:
            with store.open(sha256) as source, target.open("wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            raise BackupError(
                f"file {sha256} ({', '.join(kept[sha256])}) is missing from the blob store: run "
                "`flask blobs verify`, restore it from an earlier backup, then back up again"
            ) from None
        if digest.hexdigest() != sha256:
            raise BackupError(
                f"file {sha256} ({', '.join(kept[sha256])}) is damaged in the blob store (its content hashes to "
                f"{digest.hexdigest()}): run `flask blobs verify` and restore it from an earlier backup"
            )
        blobs.append({"sha256": sha256, "size": size})
        total += size

    manifest = {
        "format": FORMAT,
        "made_at": clock.now().isoformat(),
        "database": url.get_backend_name(),
        "database_file": database_file,
        "database_sha256": _file_sha256(folder / database_file),
        "schema_revision": revision,
        "audit_head": None if head is None else {"seq": head.seq, "line": head.line()},
        "blobs": blobs,
    }
    partial = folder / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(folder / MANIFEST)
    return BackupSummary(folder, database_file, len(blobs), total, None if head is None else head.seq)


def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{path} does not exist: {folder} is not a backup made by `flask backup`, or the backup was interrupted"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupError(f"{path} is not valid JSON ({error}): the backup is damaged") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a manifest this version can read (format {FORMAT} expected)")
    return manifest


@dataclass
class RestoreSummary:
    database_file: str
    blobs_written: int
    blobs_present: int
    schema_revision: str | None


def restore_backup(
    folder: Path, store: BlobStore, *, progress: Callable[[str], None] = lambda _line: None
) -> RestoreSummary:
    """Load the backup in ``folder`` into the app's database, which must be empty, and its blob store."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    database_file = folder / manifest["database_file"]
    if not database_file.is_file() or _file_sha256(database_file) != manifest["database_sha256"]:
        raise BackupError(f"{database_file} is missing or not the file the backup wrote: the backup is damaged")
    url = db.engine.url
    if url.get_backend_name() != manifest["database"]:
        raise BackupError(
            f"the backup is of a {manifest['database']} database and DATABASE_URL names a "
            f"{url.get_backend_name()} one: restore into the same kind"
        )
    # Every file is checked before anything is written, so a damaged backup leaves nothing half restored.
    for blob in manifest["blobs"]:
        path = _blob_path(folder, blob["sha256"])
        if not path.is_file() or _file_sha256(path) != blob["sha256"]:
            raise BackupError(f"{path} is missing or damaged: the backup is incomplete; nothing was restored")
    tables = inspect(db.engine).get_table_names()
    db.session.remove()
    if tables:
        raise BackupError(
            "the database DATABASE_URL names is not empty: restore into a new, empty database "
            "(createdb comments_restored), never over a live one"
        )
    db.engine.dispose()
    if url.get_backend_name() == "postgresql":
        options, environment = _libpq(url)
        progress("loading the dump with pg_restore")
        _run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *options, str(database_file)],
            environment,
        )
    else:
        progress("copying the SQLite database into place")
        source = sqlite3.connect(database_file)
        target = sqlite3.connect(url.database)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()

    written = present = 0
    progress(f"writing {len(manifest['blobs'])} files into the blob store ({store.describe()})")
    for blob in manifest["blobs"]:
        _sha256, created = store.put(_blob_path(folder, blob["sha256"]).read_bytes())
        written += created
        present += not created
    return RestoreSummary(manifest["database_file"], written, present, manifest.get("schema_revision"))
