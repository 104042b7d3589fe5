"""Where files are kept: one ``BlobStore`` interface, its two backends, and the app's one instance.

Every file the service keeps (attachments, materials, raw e-mail, uploaded question files) is stored by
the SHA-256 of its bytes, outside any folder a web server serves (R39), and handed back only as a
download (R41). The domain takes a ``BlobStore`` as an argument and never builds one; the app builds one
from its settings in ``init_app`` and ``blob_store()`` gives it to views, commands and the worker.

``BLOB_STORAGE`` chooses the backend: ``local``, a folder on this host (``ATTACHMENT_STORAGE``), or ``s3``,
a bucket of any S3-compatible object store (AWS S3, MinIO, Ceph RGW) that several servers can share.

A blob belongs to no one record: the same bytes are one blob however many records hold them (a campaign's
flyer attached to a thousand opinions; two requests storing the same file at once, one of which rolls
back while the other commits and points at it). So nothing that rolls back ever deletes a blob: a request
that fails leaves an unreferenced blob behind, and ``flask blobs gc`` removes the ones nothing has
referred to for a day (comments/domain/blobs.py). ``delete`` is for that collector and for a deliberate
destruction (a file replaced by a redacted copy, comments/domain/redactions.py, once no record keeps it).
"""

from __future__ import annotations

import abc
import base64
import hashlib
import io
import os
import stat as stat_mode
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from flask import Flask, current_app

from comments import clock

EXTENSION_KEY = "blob_store"
HEX_DIGITS = frozenset("0123456789abcdef")
# Bytes stored again are not written again, but a blob last written longer ago than this has its
# modification time renewed: `flask blobs gc` removes only blobs unreferenced and older than an hour at
# least, so it never removes bytes a request has just stored again and is about to point to. Renewed at
# most this often, not at every put: a campaign's flyer stored by a thousand opinions is touched a few times.
REFRESH_AFTER = timedelta(minutes=10)
# S3: how long to wait for the store to connect and to answer (a put happens inside a request), the
# attempts at a request that failed on the way, and the size up to which a file read is kept in memory.
S3_CONNECT_TIMEOUT_SECONDS = 5
S3_READ_TIMEOUT_SECONDS = 20
S3_MAX_ATTEMPTS = 3
S3_IN_MEMORY_BYTES = 8 * 1024 * 1024
S3_NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})


class BlobStoreError(OSError):
    """The store could not be reached or refused a request (an S3 error): an OSError, like a failing disk's."""


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: the SHA-256 it is kept under, its size in bytes and when it was last written (UTC)."""

    sha256: str
    size: int
    modified: datetime


def is_digest(value: str) -> bool:
    """Whether ``value`` is a SHA-256 hex digest in lower case, as blobs are named."""
    return len(value) == 64 and HEX_DIGITS.issuperset(value)


class BlobStore(abc.ABC):
    """Files kept by content hash. Writing the same bytes twice keeps one file (see the module docstring)."""

    @staticmethod
    def check_digest(sha256: str) -> str:
        """``sha256`` when it is a SHA-256 hex digest (lower case), else ValueError: no path tricks."""
        if not is_digest(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return sha256

    @staticmethod
    def stale(modified: datetime) -> bool:
        """Whether a blob written at ``modified`` is renewed when stored again (REFRESH_AFTER)."""
        return clock.now() - modified >= REFRESH_AFTER

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the blobs are, for an operator: a folder, or a bucket and prefix."""

    @abc.abstractmethod
    def put(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; return its SHA-256 and whether this call wrote it. Bytes already stored are not
        written again; their modification time is renewed when older than REFRESH_AFTER."""

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """The file for reading; FileNotFoundError if it is not stored."""

    def read(self, sha256: str) -> bytes:
        """The whole file; FileNotFoundError if it is not stored."""
        with self.open(sha256) as handle:
            return handle.read()

    @abc.abstractmethod
    def stat(self, sha256: str) -> BlobInfo | None:
        """The stored blob's size and modification time; None if it is not stored."""

    def exists(self, sha256: str) -> bool:
        return self.stat(sha256) is not None

    @abc.abstractmethod
    def delete(self, sha256: str) -> None:
        """Remove the blob (nothing happens if it is not stored). Never on a rollback: see the module docstring."""

    @abc.abstractmethod
    def list_blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, in no particular order; anything else where they are kept is left out."""


class LocalBlobStore(BlobStore):
    """Files under one root folder on the local disk, at ``<root>/<sha[:2]>/<sha[2:4]>/<sha>``, written
    atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def describe(self) -> str:
        return f"folder {self.root}"

    def path_for(self, sha256: str) -> Path:
        self.check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> tuple[str, bool]:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha256)
        if self._renewed(path):
            return sha256, False
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256, True

    def _renewed(self, path: Path) -> bool:
        """Whether the file is there, its modification time renewed when stale; False if it is not."""
        try:
            if self.stale(_from_timestamp(path.stat().st_mtime)):
                now = clock.now().timestamp()
                os.utime(path, (now, now))
        except FileNotFoundError:
            return False
        return True

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")

    def stat(self, sha256: str) -> BlobInfo | None:
        try:
            found = self.path_for(sha256).stat()
        except FileNotFoundError:
            return None
        return BlobInfo(sha256, found.st_size, _from_timestamp(found.st_mtime))

    def delete(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def list_blobs(self) -> Iterator[BlobInfo]:
        """The files where ``path_for`` puts them; the temporary file of a write under way is left out."""
        for first in _subfolders(self.root):
            for second in _subfolders(Path(first.path)):
                with os.scandir(second.path) as entries:
                    for entry in entries:
                        name = entry.name
                        if not is_digest(name) or name[:2] != first.name or name[2:4] != second.name:
                            continue
                        try:
                            found = entry.stat(follow_symlinks=False)
                        except FileNotFoundError:
                            continue
                        if stat_mode.S_ISREG(found.st_mode):
                            yield BlobInfo(name, found.st_size, _from_timestamp(found.st_mtime))


def _subfolders(folder: Path) -> list[os.DirEntry]:
    """The two-character folders of ``folder`` (none if it does not exist yet)."""
    try:
        with os.scandir(folder) as entries:
            return [entry for entry in entries if len(entry.name) == 2 and entry.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return []


def _from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


_boto3_sessions: list = []
_boto3_session_lock = threading.Lock()


def _new_s3_client(**options):
    """An S3 client from the process's one boto3 session: a session loads the service's description (a
    tenth of a second), its clients are then made in milliseconds. A client is safe to share between
    threads; a session making clients is not, hence the lock."""
    import boto3

    with _boto3_session_lock:
        if not _boto3_sessions:
            _boto3_sessions.append(boto3.session.Session())
        return _boto3_sessions[0].client("s3", **options)


class S3BlobStore(BlobStore):
    """Objects of one bucket of an S3-compatible store (AWS S3, MinIO, Ceph RGW) at ``<prefix><sha[:2]>/<sha>``,
    each written with its Content-MD5, so the store refuses bytes damaged on the way.

    Every failure of the store (unreachable, refusing, no such bucket) is a ``BlobStoreError``, an OSError
    as a failing disk's would be; an object that is not there is FileNotFoundError (``open``) or None (``stat``).
    """

    # Keys per page of a listing (S3 answers 1000 at most).
    list_page_size = 1000

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
    ):
        from botocore.config import Config as ClientConfig

        self.bucket, self.prefix, self.endpoint_url = bucket, prefix, endpoint_url
        self.client = _new_s3_client(
            endpoint_url=endpoint_url,
            region_name=region,
            # None for both: boto3 finds them itself (AWS_ACCESS_KEY_ID, ~/.aws/credentials, an instance role).
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=ClientConfig(
                # MinIO and Ceph answer at one address for every bucket (no wildcard DNS needed).
                s3={"addressing_style": "path"} if endpoint_url else {},
                connect_timeout=S3_CONNECT_TIMEOUT_SECONDS,
                read_timeout=S3_READ_TIMEOUT_SECONDS,
                retries={"max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"},
                # The checksums newer botocore adds by default are not understood by every S3-compatible
                # store; Content-MD5, which every one checks, is sent instead (``put``).
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"bucket s3://{self.bucket}/{self.prefix}{where}"

    def key_for(self, sha256: str) -> str:
        self.check_digest(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256}"

    def _call(self, operation: str, *, missing_ok: bool = False, **params) -> Mapping[str, Any] | None:
        """One request to the store; None when the object is not there and ``missing_ok``."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **params)
        except ClientError as error:
            if missing_ok and error.response.get("Error", {}).get("Code") in S3_NOT_FOUND:
                return None
            raise BlobStoreError(f"S3 {operation} in bucket {self.bucket}: {error}") from error
        except BotoCoreError as error:
            raise BlobStoreError(f"S3 {operation} in bucket {self.bucket}: {error}") from error

    def put(self, data: bytes) -> tuple[str, bool]:
        sha256 = hashlib.sha256(data).hexdigest()
        key = self.key_for(sha256)
        found = self.stat(sha256)
        if found is not None and (not self.stale(found.modified) or self._renewed(key)):
            return sha256, False
        self._call(
            "put_object",
            Key=key,
            Body=data,
            ContentType="application/octet-stream",
            ContentMD5=base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode("ascii"),
        )
        return sha256, True

    def _renewed(self, key: str) -> bool:
        """Copy the object onto itself, which renews its modification time; False if it is gone meanwhile.
        (A copy onto itself must change something: its metadata say when it was renewed.)"""
        copied = self._call(
            "copy_object",
            missing_ok=True,
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": key},
            MetadataDirective="REPLACE",
            Metadata={"renewed-at": clock.now().isoformat()},
            ContentType="application/octet-stream",
        )
        return copied is not None

    def open(self, sha256: str) -> BinaryIO:
        """The object's bytes, read to the end first: in memory when small, else in a temporary file."""
        from botocore.exceptions import BotoCoreError

        response = self._call("get_object", missing_ok=True, Key=self.key_for(sha256))
        if response is None:
            raise FileNotFoundError(f"blob {sha256} is not in bucket {self.bucket}")
        body = response["Body"]
        small = response.get("ContentLength", 0) <= S3_IN_MEMORY_BYTES
        handle: BinaryIO = io.BytesIO() if small else tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it
        try:
            for chunk in body.iter_chunks(1024 * 1024):
                handle.write(chunk)
            handle.seek(0)
        except BotoCoreError as error:
            handle.close()
            raise BlobStoreError(f"S3 get_object in bucket {self.bucket}: {error}") from error
        except BaseException:
            handle.close()
            raise
        finally:
            body.close()
        return handle

    def stat(self, sha256: str) -> BlobInfo | None:
        head = self._call("head_object", missing_ok=True, Key=self.key_for(sha256))
        if head is None:
            return None
        return BlobInfo(sha256, head["ContentLength"], head["LastModified"].astimezone(UTC))

    def delete(self, sha256: str) -> None:
        self._call("delete_object", Key=self.key_for(sha256))

    def list_blobs(self) -> Iterator[BlobInfo]:
        """The objects under the prefix that are named as ``key_for`` names them, page by page."""
        from botocore.exceptions import BotoCoreError, ClientError

        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix, PaginationConfig={"PageSize": self.list_page_size}
        )
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    folder, _, name = item["Key"][len(self.prefix) :].partition("/")
                    if is_digest(name) and folder == name[:2]:
                        yield BlobInfo(name, item["Size"], item["LastModified"].astimezone(UTC))
        except (BotoCoreError, ClientError) as error:
            raise BlobStoreError(f"S3 list_objects_v2 in bucket {self.bucket}: {error}") from error


def init_app(app: Flask) -> None:
    """Build the app's one blob store from its settings."""
    app.extensions[EXTENSION_KEY] = build_blob_store(app.config)


def build_blob_store(settings: Mapping[str, Any]) -> BlobStore:
    """The store the settings name (config.py checks them): ``BLOB_STORAGE=local``, the folder
    ``ATTACHMENT_STORAGE``; ``BLOB_STORAGE=s3``, the bucket ``S3_BUCKET`` and the other ``S3_`` settings."""
    if settings.get("BLOB_STORAGE", "local") == "s3":
        return S3BlobStore(
            settings["S3_BUCKET"],
            prefix=settings.get("S3_PREFIX") or "",
            endpoint_url=settings.get("S3_ENDPOINT_URL"),
            region=settings.get("S3_REGION") or ("us-east-1" if settings.get("S3_ENDPOINT_URL") else None),
            access_key_id=settings.get("S3_ACCESS_KEY_ID"),
            secret_access_key=settings.get("S3_SECRET_ACCESS_KEY"),
        )
    return LocalBlobStore(settings["ATTACHMENT_STORAGE"])


def blob_store(app: Flask | None = None) -> BlobStore:
    """The blob store of ``app``, or of the current app."""
    return (app or current_app).extensions[EXTENSION_KEY]
