"""Checking uploaded files (R38-R40) and removing the individual numbers they hold (R14, R66).

A file is accepted only when its extension is on the allow-list *and* its bytes carry the signature
of that type (the ``filetype`` library reads the signatures). Accepted files are kept by the blob store
(comments/storage.py) under their SHA-256 and are only ever handed back as downloads (R41).

A file is never kept with an individual number in it. Its name is masked like any text. A text file and
a Word file are rewritten with the number masked (every part of a Word file that holds text). A PDF
cannot be rewritten: one whose text holds a number is refused where the sender can be asked to send it
again without the number (the public form, staff keying in), and elsewhere (e-mail, a member's upload)
replaced by its text, masked, with the sender told. Pictures cannot be read by the service: staff replace
one with a redacted copy (see domain/redactions.py).
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

from comments.documents import mask_docx, pdf_every_text, tidy_text
from comments.domain import DomainError
from comments.domain.masking import MASK, find_individual_numbers, mask_individual_numbers
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
    """The original name as safe metadata: no path, no control characters, no individual number, bounded."""
    name = mask_individual_numbers(clean_line(unicodedata.normalize("NFC", name or "")))[0]
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


TEXT_TYPE = ALLOWED_TYPES["txt"][0]
PDF_TYPE = ALLOWED_TYPES["pdf"][0]
DOCX_TYPE = ALLOWED_TYPES["docx"][0]


class NumberInFileError(DomainError):
    """A PDF holds an individual number the service cannot remove from it; ``message`` says what to do."""


@dataclass(frozen=True)
class MaskedFile:
    """A checked file with every individual number it held masked, and what was done to it."""

    file: CheckedFile
    numbers: int  # how many numbers were masked in it
    converted_from: str | None = None  # "application/pdf" when a PDF's masked text replaced it


def mask_file(file: CheckedFile, *, convert_pdf: bool) -> MaskedFile:
    """``file`` with every individual number in it masked (see the module docstring).

    A PDF holding a number raises ``NumberInFileError`` unless ``convert_pdf``, which replaces it by a text
    file of its masked text (``name.pdf.txt``). A PDF that cannot be read whole (a password, damage, too
    many pages) and a picture are kept as they are: the service cannot look into them.
    """
    if file.content_type == TEXT_TYPE:
        text, count = mask_individual_numbers(file.data.decode("utf-8"))
        return MaskedFile(_replaced(file, text.encode("utf-8")) if count else file, count)
    if file.content_type == DOCX_TYPE:
        data, count = mask_docx(file.data, find_individual_numbers, MASK)
        return MaskedFile(_replaced(file, data) if count else file, count)
    if file.content_type == PDF_TYPE:
        text = pdf_every_text(file.data)
        if text is None or not find_individual_numbers(text):
            return MaskedFile(file, 0)
        if not convert_pdf:
            raise NumberInFileError(
                _l(
                    "“%(name)s” holds what looks like an individual number (マイナンバー), which the city may not "
                    "keep and cannot remove from a PDF. Remove the number from the file and attach it again, "
                    "or send without it.",
                    name=file.filename,
                ),
                field="attachments",
            )
        masked, count = mask_individual_numbers(tidy_text(text))
        converted = CheckedFile(filename=file.filename + ".txt", content_type=TEXT_TYPE, data=masked.encode("utf-8"))
        return MaskedFile(converted, count, converted_from=PDF_TYPE)
    return MaskedFile(file, 0)


def _replaced(file: CheckedFile, data: bytes) -> CheckedFile:
    return CheckedFile(filename=file.filename, content_type=file.content_type, data=data)
