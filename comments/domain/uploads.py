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

A text file is accepted in the encodings Japanese users save in (UTF-8, Shift_JIS/CP932, EUC-JP, UTF-16 with
its byte-order mark) and kept in UTF-8, so every channel and every reader after this sees UTF-8.

A PDF or Word file is read in a child process under the ``FILE_READ_*`` limits (comments/sandbox.py), never
in the web worker and never inside a transaction: a small file can cost minutes of CPU or gigabytes of
memory to read (R40). One over a limit is refused with ``FileTooCostlyError``.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import unicodedata
import zipfile
from dataclasses import astuple, dataclass
from functools import cached_property

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l

from comments.documents import ExtractedText, extract_text, mask_docx, pdf_every_text, text_file_encoding, tidy_text
from comments.domain import DomainError
from comments.domain.masking import MASK, find_individual_numbers, mask_individual_numbers
from comments.sandbox import ChildFailed, LimitExceeded, Limits, run_limited
from comments.text import clean_line

logger = logging.getLogger(__name__)

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


def _text_in_utf8(data: bytes) -> bytes | None:
    """A text file's bytes in UTF-8 (as they came when they are UTF-8 already); None when it reads in none of
    the encodings ``text_file_encoding`` knows, or holds a NUL character (a binary file named .txt)."""
    encoding = text_file_encoding(data)
    if encoding is None:
        return None
    text = data.decode(encoding)
    if "\x00" in text:
        return None
    return data if encoding in ("utf-8", "utf-8-sig") else text.encode("utf-8")


def check_upload(raw_name: str, data: bytes, *, max_bytes: int) -> CheckedFile:
    """Accept one file or raise ``DomainError`` that says what is wrong and what is allowed. A text file
    comes back in UTF-8, whichever of the encodings ``text_file_encoding`` knows it came in."""
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
        in_utf8 = _text_in_utf8(data)
        sound = in_utf8 is not None
        data = in_utf8 or data
    else:
        guessed = filetype.guess_mime(data)
        sound = guessed in signatures and (extension != "docx" or _docx_is_sound(data))
    if not sound:
        raise DomainError(
            _l(
                "“%(name)s” does not contain what its extension says (.%(ext)s). Allowed: %(types)s "
                "(text files in UTF-8, Shift_JIS, EUC-JP or UTF-16).",
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


class UnreadableFileError(DomainError):
    """A PDF or Word file the service could not read, so it cannot know what the file holds and does not
    keep it: its reader failed on it (a damaged file), or it went over the reading limits
    (``FileTooCostlyError``). ``message`` names it and says what to send instead."""


class FileTooCostlyError(UnreadableFileError):
    """A file took more CPU time, wall-clock time or memory to read than the ``FILE_READ_*`` settings allow
    (R40); ``message`` names it and says what to send instead."""


def _too_costly(filename: str, limit: str) -> FileTooCostlyError:
    if limit == "memory":
        message = _l(
            "“%(name)s” needs too much memory to read, so it was not accepted. Save it again as a simpler PDF "
            "or Word file, or as a text file, and try again; or send it by post.",
            name=filename,
        )
    else:
        message = _l(
            "“%(name)s” took too long to read, so it was not accepted. Save it again as a simpler PDF or Word "
            "file, or as a text file, and try again; or send it by post.",
            name=filename,
        )
    return FileTooCostlyError(message, field="attachments")


def reading_deadline() -> float:
    """The instant (``time.monotonic``) by which the files of one request must be read: FILE_READ_WALL_SECONDS
    from now, so a request with several files still answers before the web server gives up on it."""
    return time.monotonic() + current_app.config["FILE_READ_WALL_SECONDS"]


def read_in_child(filename: str, function, *args, deadline: float | None = None):
    """``function(*args)`` run in a child process under the ``FILE_READ_*`` limits; return its plain result.

    ``function`` is a module-level function that returns plain data (comments/sandbox.py). ``deadline``
    (from ``reading_deadline``) shares one wall-clock budget among the files of a request; without it this
    file has the whole of FILE_READ_WALL_SECONDS. Raises ``FileTooCostlyError`` naming ``filename`` when
    the reading went over a limit, and ``UnreadableFileError`` when ``function`` failed on the file (a
    damaged Word file its parser cannot read): never a server error for what a file holds.
    """
    config = current_app.config
    remaining = (deadline or reading_deadline()) - time.monotonic()
    if remaining <= 0:
        raise _too_costly(filename, "wall")
    limits = Limits(
        cpu_seconds=config["FILE_READ_CPU_SECONDS"],
        wall_seconds=remaining,
        memory_bytes=config["FILE_READ_MEMORY_MB"] * 1024 * 1024,
    )
    try:
        return run_limited(function, *args, limits=limits)
    except LimitExceeded as exceeded:
        # The name stays out of the log (it may name a person); the size and the limit say enough.
        size = sum(len(arg) for arg in args if isinstance(arg, bytes))
        logger.warning("a file of %d bytes went over its %s limit while being read", size, exceeded.limit)
        raise _too_costly(filename, exceeded.limit) from None
    except ChildFailed as failed:
        logger.warning(
            "a file of %d bytes could not be read: %s",
            sum(len(a) for a in args if isinstance(a, bytes)),
            str(failed).splitlines()[-1][:200] if str(failed) else "",
        )
        raise UnreadableFileError(
            _l(
                "“%(name)s” could not be read; the file may be damaged. Open it, save it again (or save it as a "
                "PDF or a text file) and attach it again; or send it by post.",
                name=filename,
            ),
            field="attachments",
        ) from None


@dataclass(frozen=True)
class MaskedFile:
    """A checked file with every individual number it held masked, and what was done to it."""

    file: CheckedFile
    numbers: int  # how many numbers were masked in it
    converted_from: str | None = None  # "application/pdf" when a PDF's masked text replaced it


def mask_file(file: CheckedFile, *, convert_pdf: bool, deadline: float | None = None) -> MaskedFile:
    """``file`` with every individual number in it masked (see the module docstring).

    A PDF holding a number raises ``NumberInFileError`` unless ``convert_pdf``, which replaces it by a text
    file of its masked text (``name.pdf.txt``). A PDF that cannot be read whole (a password, damage, too
    many pages) and a picture are kept as they are: the service cannot look into them. A PDF or Word file
    is read in a child process (``read_in_child``, with ``deadline``): call this outside any transaction.
    """
    if file.content_type == TEXT_TYPE:
        text, count = mask_individual_numbers(file.data.decode("utf-8"))
        return MaskedFile(_replaced(file, text.encode("utf-8")) if count else file, count)
    if file.content_type == DOCX_TYPE:
        data, count = read_in_child(
            file.filename, mask_docx, file.data, find_individual_numbers, MASK, deadline=deadline
        )
        return MaskedFile(_replaced(file, data) if count else file, count)
    if file.content_type == PDF_TYPE:
        text = read_in_child(file.filename, pdf_every_text, file.data, deadline=deadline)
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


def mask_files(files: list[CheckedFile], *, convert_pdf: bool) -> list[MaskedFile]:
    """Every file masked as ``mask_file`` masks it, all read within one FILE_READ_WALL_SECONDS."""
    deadline = reading_deadline()
    return [mask_file(file, convert_pdf=convert_pdf, deadline=deadline) for file in files]


def _extracted_fields(filename: str, data: bytes) -> tuple:
    return astuple(extract_text(filename, data))


def read_file_text(file: CheckedFile, *, deadline: float | None = None) -> ExtractedText:
    """``comments.documents.extract_text`` of ``file``, a PDF or Word file read in a child process (as in
    ``read_in_child``, which raises ``FileTooCostlyError``); call it outside any transaction."""
    if file.content_type not in (PDF_TYPE, DOCX_TYPE):
        return extract_text(file.filename, file.data)
    text, problem, pages = read_in_child(file.filename, _extracted_fields, file.filename, file.data, deadline=deadline)
    return ExtractedText(text, problem, pages)


def _replaced(file: CheckedFile, data: bytes) -> CheckedFile:
    return CheckedFile(filename=file.filename, content_type=file.content_type, data=data)
