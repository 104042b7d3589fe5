"""Redacted copies (黒塗り): staff replace a file the service cannot mask by itself, and its original is
destroyed (R14, 番号法 §20).

The service masks individual numbers in every text it can read (comments/domain/uploads.py), but not in
a scan or a picture, nor in a PDF without a text layer. A clerk who sees a number in such a file blacks it
out on a copy and uploads the copy here. The attachment's row stays as it arrived (its name, size and
SHA-256 are in the receipt's fingerprint, so the receipt still proves what was sent); the copy is what is
kept and handed out from then on, and the original's bytes are deleted from the blob store. When the file
came by e-mail, the kept message is rewritten with the copy in the file's place, and the message that
held the original is deleted too.

The bytes are deleted after the change is committed, and only when no other record holds the same bytes
(the same file sent twice: a blob is kept once per content). ``destroy_replaced`` does that, at once
after a replacement and again from the worker, so a deletion that failed or had to wait (the other
record replaced later) happens in the end. Each step is in the audit trail: ``attachment.redacted`` with
the hashes of what was replaced and of the copy, then ``attachment.original_destroyed`` (or
``attachment.replaced_destroyed``, for an earlier copy or the e-mail) with what was deleted.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.blobs import is_kept
from comments.domain.masking import masked
from comments.domain.uploads import CheckedFile, MaskedFile, NumberInFileError, UnreadableFileError, mask_file
from comments.extensions import db
from comments.models import (
    Attachment,
    BlobDestruction,
    DestroyedBlob,
    InboundMessage,
    RedactedCopy,
    User,
)
from comments.storage import BlobStore

REDACTED_HEADER = "X-Comments-Redacted"


@dataclass(frozen=True)
class Replacement:
    """A redacted copy made. The blobs written for it stay if the commit fails (comments/storage.py)."""

    copy: RedactedCopy


def read_redacted_copy(upload: CheckedFile) -> MaskedFile:
    """The copy, its readable text masked, for ``replace_with_redacted_copy``; a copy whose text still shows a
    number is refused, as is one over the reading limits (R40). Call it outside any transaction: a PDF or
    Word file is read in a child process, which may take FILE_READ_WALL_SECONDS."""
    try:
        return mask_file(upload, convert_pdf=False)
    except UnreadableFileError as error:
        raise UnreadableFileError(error.message, field="document") from None
    except NumberInFileError as error:
        raise DomainError(
            _l(
                "The text of “%(name)s” still holds what looks like an individual number: black it out in the "
                "text layer too (or print and scan the blacked-out copy), then upload it again.",
                name=upload.filename,
            ),
            field="document",
        ) from error


def _rewrite_message(raw: bytes, original_sha256: str, copy: CheckedFile) -> bytes | None:
    """The kept e-mail with each part whose content is the original replaced by the copy; None if no part
    held it (a file converted on intake never travelled in the kept message as it is stored)."""
    message = message_from_bytes(raw, policy=policy.default)
    replaced = 0
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() not in ("attachment", "inline"):
            continue
        payload = part.get_payload(decode=True) or b""
        if hashlib.sha256(payload).hexdigest() != original_sha256:
            continue
        maintype, _, subtype = copy.content_type.split(";")[0].partition("/")
        replacement = EmailMessage()
        replacement.set_content(copy.data, maintype=maintype, subtype=subtype, filename=copy.filename)
        part.set_payload(replacement.get_payload(), charset=None)
        for header in ("Content-Type", "Content-Transfer-Encoding", "Content-Disposition"):
            del part[header]
            part[header] = replacement[header]
        replaced += 1
    if not replaced:
        return None
    message[REDACTED_HEADER] = f"{replaced} attachment(s) replaced by a redacted copy; the original was destroyed"
    return message.as_bytes(policy=policy.SMTP)


def replace_with_redacted_copy(
    attachment: Attachment, upload: MaskedFile, *, reason: str, by: User, actor: Actor, store: BlobStore
) -> Replacement:
    """Make ``upload`` (from ``read_redacted_copy``) the kept copy of ``attachment`` (see the module docstring);
    the caller commits, then calls ``destroy_replaced``. A copy identical to what is kept is refused."""
    copy = upload.file
    kept = attachment.kept
    if copy.sha256 == kept.sha256:
        raise DomainError(
            _l("This is the same file as the one kept: black out the number on a copy and upload the copy."),
            field="document",
        )
    sha256, _written = store.put(copy.data)
    replaced = [(kept.sha256, DestroyedBlob.original if kept is attachment else DestroyedBlob.copy)]
    inbound = db.session.scalars(
        select(InboundMessage).where(InboundMessage.submission_id == attachment.submission_id)
    ).one_or_none()
    if inbound is not None:
        rewritten = _rewrite_message(store.read(inbound.raw_sha256), kept.sha256, copy)
        if rewritten is not None:
            message_sha256, _written = store.put(rewritten)
            replaced.append((inbound.raw_sha256, DestroyedBlob.message))
            inbound.raw_sha256 = message_sha256
    redacted = attachment.redacted_copy
    if redacted is None:
        redacted = RedactedCopy(attachment=attachment)
        db.session.add(redacted)
    redacted.filename = copy.filename
    redacted.content_type = copy.content_type
    redacted.size = len(copy.data)
    redacted.sha256 = sha256
    redacted.reason = masked(reason.strip())
    redacted.made_by_id = by.id
    redacted.made_at = clock.now()
    for old, what in replaced:
        redacted.destructions.append(BlobDestruction(sha256=old, what=what))
    db.session.flush()
    record_event(
        actor,
        "attachment.redacted",
        attachment,
        submission_id=attachment.submission_id,
        position=attachment.position,
        replaced=[old for old, _what in replaced],
        copy_sha256=sha256,
    )
    return Replacement(redacted)


def blob_in_use(sha256: str) -> bool:
    """Whether a record still keeps these bytes: an attachment not replaced, a copy, a material, a message;
    every column comments/domain/blobs.py names as keeping its blob."""
    return is_kept(sha256)


def destroy_replaced(store: BlobStore, actor: Actor) -> int:
    """Delete the bytes every redacted copy replaced that nothing else holds any more, each with an audit
    event; return how many were deleted. The caller commits (deleting twice is harmless).

    The one deliberate deletion of a blob besides `flask blobs gc`: a blob is shared by every record holding
    the same bytes, so it is deleted only once no row keeps it (``blob_in_use``), never on a rollback."""
    waiting = db.session.scalars(
        select(BlobDestruction).where(BlobDestruction.destroyed_at.is_(None)).order_by(BlobDestruction.id)
    ).all()
    destroyed = 0
    for entry in waiting:
        if blob_in_use(entry.sha256):
            continue
        store.delete(entry.sha256)
        entry.destroyed_at = clock.now()
        attachment = entry.redacted_copy.attachment
        record_event(
            actor,
            "attachment.original_destroyed"
            if entry.what == DestroyedBlob.original
            else "attachment.replaced_destroyed",
            attachment,
            submission_id=attachment.submission_id,
            position=attachment.position,
            what=entry.what.value,
            sha256=entry.sha256,
        )
        destroyed += 1
    db.session.flush()
    return destroyed
