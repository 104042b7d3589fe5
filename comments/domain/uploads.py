"""Checking uploaded files (R38-R40).

A file is accepted only when its extension is on the allow-list *and* its bytes carry the signature
of that type (the ``filetype`` library reads the signatures). Accepted files are kept by the blob store
(comments/storage.py) under their SHA-256 and are only ever handed back as downloads (R41).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import cached_property

import filetype
from flask_babel import lazy_gettext as _l

from comments.domain import DomainError
from comments.text import clean_line

# extension -> (the MIME type we store, the MIME types filetype may report for its signature)
ALLOWED_TYPES: dict[str, tuple[str, frozenset[str]]] = {
    "pdf": ("application/pdf", frozenset({"application/pdf"})),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    ),
    "txt": ("text/plain; charset=utf-8", frozenset()),
    "png": ("image/png", frozenset({"image/png"})),
    "jpg": ("image/jpeg", frozenset({"image/jpeg"})),
    "jpeg": ("image/jpeg", frozenset({"image/jpeg"})),
}
ALLOWED_EXTENSIONS_TEXT = "PDF, DOCX, TXT, PNG, JPEG"
# A DOCX is a ZIP archive: refuse one that would inflate past this, or that has too many members (R40).
DOCX_MAX_UNCOMPRESSED = 50 * 1024 * 1024
DOCX_MAX_MEMBERS = 2000


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, held in memory until the submission is stored."""

    filename: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def sanitise_filename(name: str) -> str:
    """The original name as safe metadata: no path, no control characters, bounded length."""
    name = clean_line(unicodedata.normalize("NFC", name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot else name[:200]
    return name or "file"


def _docx_is_sound(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > DOCX_MAX_MEMBERS:
                return False
            if sum(member.file_size for member in members) > DOCX_MAX_UNCOMPRESSED:
                return False
            names = {member.filename for member in members}
            return "[Content_Types].xml" in names and "word/document.xml" in names
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def _text_is_sound(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_upload(raw_name: str, data: bytes, *, max_bytes: int) -> CheckedFile:
    """Accept one file or raise ``DomainError`` that says what is wrong and what is allowed."""
    if "\x00" in (raw_name or "") or "%00" in (raw_name or ""):
        raise DomainError(_l("The file name contains a forbidden character. Rename the file and try again."))
    filename = sanitise_filename(raw_name)
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ALLOWED_TYPES:
        raise DomainError(
            _l(
                "“%(name)s” is not an allowed type. Allowed: %(types)s.",
                name=filename,
                types=ALLOWED_EXTENSIONS_TEXT,
            )
        )
    if not data:
        raise DomainError(_l("“%(name)s” is empty.", name=filename))
    if len(data) > max_bytes:
        raise DomainError(
            _l(
                "“%(name)s” is larger than %(limit)s MB. Send a smaller file, or send it by post.",
                name=filename,
                limit=max_bytes // (1024 * 1024),
            )
        )
    content_type, signatures = ALLOWED_TYPES[extension]
    if extension == "txt":
        sound = _text_is_sound(data)
    else:
        guessed = filetype.guess_mime(data)
        sound = guessed in signatures and (extension != "docx" or _docx_is_sound(data))
    if not sound:
        raise DomainError(
            _l(
                "“%(name)s” does not contain what its extension says (.%(ext)s). Allowed: %(types)s "
                "(text files in UTF-8).",
                name=filename,
                ext=extension,
                types=ALLOWED_EXTENSIONS_TEXT,
            )
        )
    return CheckedFile(filename=filename, content_type=content_type, data=data)
