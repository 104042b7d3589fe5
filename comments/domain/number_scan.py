"""Looking through what is stored for individual numbers: the check an operator runs after an upgrade
(data kept by an older version, whose masker knew fewer notations) and from time to time (R14, R66).

``scan_stored_data`` reads every text column of every table (contact data opened with the key) and every
file a record keeps (attachments or their redacted copies, kept e-mails, materials), with the same
detector and file readers the intake masks with, and reports where a number is, never the number: the
table, column and row, or the record that keeps the file. Files the service cannot read (pictures,
scans, PDFs with a password) are listed apart: a person must look at them. So are the PDF and Word files
that went over the reading limits (R40; each is read in a child process, as on intake), and the scan goes on.

It changes nothing. A submission is evidence and its text is in the receipt's fingerprint, so what to
do with a number found in one is the city's decision: a file is replaced by a redacted copy from the
submission's page (comments/domain/redactions.py); text kept by an older version is for the next issue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from sqlalchemy import JSON, String, Text, select
from sqlalchemy.types import TypeDecorator

from comments.documents import decode_text_file, mask_docx, pdf_every_text
from comments.domain.masking import MASK, find_individual_numbers
from comments.domain.uploads import FileTooCostlyError, UnreadableFileError, read_in_child
from comments.extensions import db
from comments.models import Attachment, InboundMessage, Material, RedactedCopy
from comments.storage import BlobStore

BATCH = 1000
# What ``scan_stored_data`` notes of a file that went over the reading limits.
TOO_COSTLY = -1
# The name a stored file is read under: the scan reports the record that keeps it, never its name.
_STORED_FILE = "file"


@dataclass(frozen=True)
class Finding:
    """Where a number is: ``place`` names the table and column, or the file and the record keeping it."""

    place: str
    row: str
    numbers: int


@dataclass
class ScanReport:
    findings: list[Finding]
    unreadable: list[Finding]  # files a person must look at (numbers is 0)
    too_costly: list[Finding] = field(default_factory=list)  # files over the reading limits, to look at too
    rows: int = 0
    files: int = 0


def _text_columns(table) -> list:
    columns = []
    for column in table.columns:
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        if isinstance(kind, String | Text | JSON):
            columns.append(column)
    return columns


def _texts_of_rows() -> Iterator[tuple[str, str, str]]:
    """(table.column, row id, text) for every text of every row, in batches by primary key."""
    for table in db.metadata.sorted_tables:
        columns = _text_columns(table)
        keys = list(table.primary_key.columns)
        if not columns or len(keys) != 1:
            continue
        key = keys[0]
        last = None
        while True:
            query = select(key, *columns).order_by(key).limit(BATCH)
            if last is not None:
                query = query.where(key > last)
            rows = db.session.execute(query).all()
            if not rows:
                break
            for row in rows:
                for column, value in zip(columns, row[1:], strict=True):
                    if isinstance(value, dict | list):
                        value = json.dumps(value, ensure_ascii=False)
                    if isinstance(value, str) and value:
                        yield f"{table.name}.{column.name}", str(row[0]), value
            last = rows[-1][0]


def numbers_in_file(data: bytes) -> int | None:
    """How many numbers a stored file holds, read as the intake reads it; None when it cannot be read.
    Raises ``FileTooCostlyError`` when a PDF or Word file in it went over the reading limits."""
    if data.startswith(b"PK"):
        try:
            return read_in_child(_STORED_FILE, mask_docx, data, find_individual_numbers, MASK)[1]
        except FileTooCostlyError:
            raise
        except UnreadableFileError:  # not a Word file after all, or a damaged one
            return None
    if data.startswith(b"%PDF"):
        text = read_in_child(_STORED_FILE, pdf_every_text, data)
        return None if text is None else len(find_individual_numbers(text))
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff")):
        return None
    head = data[:4096]
    if b"\nMIME-Version:" in head or b"\nMessage-ID:" in head or head.startswith((b"From:", b"Received:")):
        return _numbers_in_message(data)
    return len(find_individual_numbers(decode_text_file(data)))


def _numbers_in_message(data: bytes) -> int | None:
    message = message_from_bytes(data, policy=policy.default)
    count = sum(len(find_individual_numbers(str(value))) for _name, value in message.items())
    unreadable = False
    for part in message.walk():
        if part.is_multipart():
            continue
        count += len(find_individual_numbers(part.get_filename() or ""))
        found = numbers_in_file(part.get_payload(decode=True) or b"")
        if found is None:
            unreadable = True
        else:
            count += found
    return None if unreadable and not count else count


def _kept_files() -> Iterator[tuple[str, str, str]]:
    """(what keeps it, record id, sha256) for every file a record keeps."""
    for attachment in db.session.scalars(select(Attachment).order_by(Attachment.id)):
        kept = attachment.kept
        kind = "redacted copy" if isinstance(kept, RedactedCopy) else "attachment"
        yield f"{kind} of submission {attachment.submission_id}", str(attachment.position), kept.sha256
    for message_id, sha256 in db.session.execute(select(InboundMessage.id, InboundMessage.raw_sha256)):
        yield "kept e-mail", str(message_id), sha256
    for material_id, sha256 in db.session.execute(select(Material.id, Material.sha256)):
        yield "material", str(material_id), sha256


def scan_stored_data(store: BlobStore) -> ScanReport:
    """Where what is stored still holds an individual number (see the module docstring)."""
    report = ScanReport(findings=[], unreadable=[])
    for place, row, text in _texts_of_rows():
        report.rows += 1
        found = len(find_individual_numbers(text))
        if found:
            report.findings.append(Finding(place, row, found))
    seen: dict[str, int | None] = {}
    for place, row, sha256 in _kept_files():
        report.files += 1
        if sha256 not in seen:
            try:
                seen[sha256] = numbers_in_file(store.read(sha256))
            except FileNotFoundError:
                seen[sha256] = 0  # destroyed, or never written: nothing is kept
            except FileTooCostlyError:
                seen[sha256] = TOO_COSTLY
        found = seen[sha256]
        if found == TOO_COSTLY:
            report.too_costly.append(Finding(place, row, 0))
        elif found is None:
            report.unreadable.append(Finding(place, row, 0))
        elif found:
            report.findings.append(Finding(place, row, found))
    return report
