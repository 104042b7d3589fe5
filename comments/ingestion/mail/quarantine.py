"""The secretariat's side of the e-mail intake: what waits in quarantine, read again from the stored bytes,
and the decision on each, released as a member's question or rejected, always with a reason (R59-R63)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.uploads import MaskedFile
from comments.extensions import db
from comments.ingestion.mail.masked_copy import read_attachments
from comments.ingestion.mail.parser import MailRejected, ParsedMail, parse_message
from comments.ingestion.mail.pipeline import accepted_attachments, file_question, mail_limits
from comments.models import Consultation, InboundMessage, InboundStatus, User
from comments.storage import BlobStore

# Why a message was quarantined or dropped, with the words the secretariat reads.
REASONS = {
    "too_large": _l("Larger than the size limit; not read."),
    "too_deep": _l("Nested too deeply to read safely."),
    "too_many_parts": _l("Too many parts to read safely."),
    "header_too_large": _l("Its header is too large to read safely."),
    "malformed": _l("Not a readable e-mail message."),
    "auto_submitted": _l("An automatic message (Auto-Submitted)."),
    "autoreply": _l("An automatic reply."),
    "bounce": _l("A delivery failure report."),
    "bulk": _l("Bulk or mailing-list mail."),
    "unknown_token": _l("The address carries no valid member token."),
    "unknown_sender": _l("The sender is not the member whose address it was sent to."),
    "dmarc_failed": _l("Our mail server could not confirm the sender's domain (DMARC)."),
    "no_consultation": _l("No consultation is open for questions; choose one to release it."),
    "which_consultation": _l("Several consultations are open and the subject names none; choose one."),
    "attachment_refused": _l("An attachment is not an allowed file; release it without the file or reject it."),
    "empty": _l("The message has no text and no attachment."),
    "invalid": _l("The question could not be stored as it is; see the note."),
}


def quarantined_messages(statuses=(InboundStatus.quarantined,)) -> list[InboundMessage]:
    return list(
        db.session.scalars(
            select(InboundMessage)
            .where(InboundMessage.status.in_(statuses))
            .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
            .limit(500)
        )
    )


def read_quarantined(message: InboundMessage, blob_store: BlobStore) -> ParsedMail | None:
    """The message as parsed again from its stored bytes, or None when it cannot be read (too large...)."""
    if message.reason in ("too_large", "too_deep", "too_many_parts", "header_too_large", "malformed"):
        return None
    try:
        raw = blob_store.read(message.raw_sha256)
        return parse_message(raw, limits=mail_limits())
    except (MailRejected, OSError):
        return None


def read_release_attachments(message: InboundMessage, blob_store: BlobStore) -> list[MaskedFile]:
    """The attachments of a quarantined message that pass the upload checks and the reading limits, masked,
    for ``release_message``: read outside any transaction (a file can take seconds to read, R40)."""
    parsed = read_quarantined(message, blob_store)
    if parsed is None:
        return []
    files, _refused = accepted_attachments(
        read_attachments(parsed, max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"])
    )
    return files


class QuarantineDecisionError(DomainError):
    """The release or rejection cannot be made as asked."""


def release_message(
    message: InboundMessage,
    *,
    consultation: Consultation,
    member: User,
    note: str,
    decided_by: User,
    actor: Actor,
    blob_store: BlobStore,
    files: list[MaskedFile],
) -> None:
    """Make a submission of a quarantined message for ``member``, as the secretariat decided.

    ``files`` are its attachments from ``read_release_attachments``: refused ones (not allowed, or over the
    reading limits) are left out (the note says so, and the raw message keeps them); a message that cannot
    be read at all can only be rejected, or keyed in from its original by hand.
    """
    if message.status != InboundStatus.quarantined:
        raise QuarantineDecisionError(_l("This message has already been decided."))
    parsed = read_quarantined(message, blob_store)
    if parsed is None:
        raise QuarantineDecisionError(
            _l(
                "This message cannot be read safely. Reject it, or key the question in for the member from the original."
            )
        )
    if not note.strip():
        raise QuarantineDecisionError(_l("Write why you release this message."), field="note")
    accepted = file_question(message, parsed, member, consultation, files, actor, blob_store)
    message.status = InboundStatus.released
    message.submission = accepted.submission
    message.member_id = member.id
    message.consultation_id = consultation.id
    message.decided_by_id = decided_by.id
    message.decided_at = clock.now()
    message.decision_note = note.strip()[:2000]
    db.session.flush()
    record_event(
        actor,
        "inbound_message.released",
        message,
        receipt_number=accepted.submission.receipt_number,
        member_id=member.id,
        consultation_id=consultation.id,
    )


def reject_message(message: InboundMessage, *, note: str, decided_by: User, actor: Actor) -> None:
    if message.status != InboundStatus.quarantined:
        raise QuarantineDecisionError(_l("This message has already been decided."))
    if not note.strip():
        raise QuarantineDecisionError(_l("Write why you reject this message."), field="note")
    message.status = InboundStatus.rejected
    message.decided_by_id = decided_by.id
    message.decided_at = clock.now()
    message.decision_note = note.strip()[:2000]
    db.session.flush()
    record_event(actor, "inbound_message.rejected", message)
