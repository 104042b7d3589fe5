"""Where files are kept: one ``BlobStore`` interface, the local-disk backend, and the app's one instance.

Every file the service keeps (attachments, materials, raw e-mail, uploaded question files) is stored by
the SHA-256 of its bytes, outside any folder a web server serves (R39), and handed back only as a
download (R41). The domain takes a ``BlobStore`` as an argument and never builds one; the app builds one
from its settings in ``init_app`` and ``blob_store()`` gives it to views, commands and the worker. A
second backend (object storage) implements the same four methods.
"""

from __future__ import annotations

import abc
import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app

EXTENSION_KEY = "blob_store"


class BlobStore(abc.ABC):
    """Files kept by content hash. Writing the same bytes twice keeps one file."""

    @staticmethod
    def check_digest(sha256: str) -> str:
        """``sha256`` when it is a SHA-256 hex digest (lower case), else ValueError: no path tricks."""
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return sha256

    @abc.abstractmethod
    def put(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; return its SHA-256 and whether this call created the file."""

    @abc.abstractmethod
    def discard(self, sha256: str) -> None:
        """Remove a file this request created, when the transaction that referred to it failed."""

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """The file for reading; FileNotFoundError if it is not stored."""

    def read(self, sha256: str) -> bytes:
        """The whole file; FileNotFoundError if it is not stored."""
        with self.open(sha256) as handle:
            return handle.read()


class LocalBlobStore(BlobStore):
    """Files under one root folder on the local disk, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        self.check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> tuple[str, bool]:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_for(sha256)
        if path.exists():
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

    def discard(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)

    def open(self, sha256: str) -> BinaryIO:
        return self.path_for(sha256).open("rb")


def init_app(app: Flask) -> None:
    """Build the app's one blob store from its settings (``ATTACHMENT_STORAGE``: a folder)."""
    app.extensions[EXTENSION_KEY] = LocalBlobStore(app.config["ATTACHMENT_STORAGE"])


def blob_store(app: Flask | None = None) -> BlobStore:
    """The blob store of ``app``, or of the current app."""
    return (app or current_app).extensions[EXTENSION_KEY]
