"""Questions by e-mail: one raw message in, a submission of the member or a quarantined message out.

``ingest_and_commit`` is what ``flask mail ingest`` (an MTA pipe), ``flask mail poll`` (IMAP) and the
benchmark call for every message; ``ingest_message`` applies the rules, in this order:

1. Over ``MAIL_INTAKE_MAX_BYTES``: quarantined unread (R63). A message the parser refuses (nesting,
   part count, header size, R64) is quarantined with the parser's reason.
2. The same Message-ID (or, without one, the same bytes) seen before: nothing new is written (R62).
3. An auto-reply, a bounce or bulk mail: kept as a "dropped" line, never a submission (R61).
4. The token of the recipient address must belong to an active committee account (R59), the From
   address must be that account's address, and where our own mail server is trusted to add an
   Authentication-Results header, it must say ``dmarc=pass`` (R60). Otherwise: quarantine.
5. The question goes to the one consultation open for comment; with none, or several and the subject
   naming none of them by its short name (slug), it waits in quarantine for the secretariat to choose.
6. Attachments pass the upload checks of the public form (R38-R42, R66) and the text the individual-
   number masking, inside ``accept_submission``; a refused attachment quarantines the whole message, so
   nothing the member sent is silently left out.

Nothing in a header decides an owner, a status or a visibility (R65): the owner is the token's account,
and headers only supply content (subject, text, files) and the checks above. The question itself is made
by the committee's domain function, ``submit_member_question``, as for every other way a member asks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.committee import member_by_token, submit_member_question
from comments.domain.masking import masked
from comments.domain.uploads import CheckedFile, check_upload
from comments.extensions import db
from comments.ingestion.mail.masked_copy import copy_to_keep
from comments.ingestion.mail.parser import MailLimits, MailRejected, ParsedMail, intake_token, parse_message
from comments.models import Channel, Consultation, ConsultationStatus, InboundMessage, InboundStatus, User
from comments.storage import BlobStore, blob_store
from comments.transactions import begin_write


@dataclass(frozen=True)
class IngestResult:
    message: InboundMessage
    duplicate: bool = False
    # Blobs this call wrote; the caller removes them if the transaction does not commit.
    created_blobs: tuple[str, ...] = ()

    @property
    def outcome(self) -> str:
        """What a mail pipe or poller does with the message: "processed" or "quarantined"."""
        return "quarantined" if self.message.status == InboundStatus.quarantined else "processed"


INTAKE_ACTOR = Actor("mail-intake")


def ingest_and_commit(raw: bytes, *, source: str, recipient: str | None = None) -> IngestResult:
    """Ingest one message in its own transaction and commit it; roll back and remove new files on failure."""
    store = blob_store()
    begin_write()
    result = None
    try:
        result = ingest_message(raw, source=source, actor=INTAKE_ACTOR, blob_store=store, recipient=recipient)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for sha256 in result.created_blobs if result else ():
            store.discard(sha256)
        raise
    return result


def mail_limits() -> MailLimits:
    return MailLimits(max_bytes=current_app.config["MAIL_INTAKE_MAX_BYTES"])


def message_key(parsed: ParsedMail | None, raw: bytes) -> str:
    if parsed is not None and parsed.message_id:
        return hashlib.sha256(b"message-id:" + parsed.message_id.encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


def _choose_consultation(subject: str) -> tuple[Consultation | None, str]:
    open_ones = list(
        db.session.scalars(
            select(Consultation).where(Consultation.status == ConsultationStatus.open).order_by(Consultation.id)
        )
    )
    if len(open_ones) == 1:
        return open_ones[0], ""
    named = [c for c in open_ones if c.slug and c.slug.lower() in subject.lower()]
    if len(named) == 1:
        return named[0], ""
    return None, "no_consultation" if not open_ones else "which_consultation"


def checked_attachments(parsed: ParsedMail) -> tuple[list[CheckedFile], list[str]]:
    """The attachments that pass the upload checks, and the names of those that do not."""
    files, refused = [], []
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    for attachment in parsed.attachments:
        try:
            files.append(check_upload(attachment.filename, attachment.data, max_bytes=limit))
        except DomainError:
            refused.append(attachment.filename)
    return files, refused


def _existing(key: str) -> InboundMessage | None:
    return db.session.scalars(select(InboundMessage).where(InboundMessage.message_key == key)).one_or_none()


def ingest_message(
    raw: bytes,
    *,
    source: str,
    actor: Actor,
    blob_store: BlobStore,
    received_at: datetime | None = None,
    recipient: str | None = None,
) -> IngestResult:
    """Read one message and record what became of it; the caller commits (and discards blobs on failure).

    ``recipient`` is the envelope recipient when the MTA passes it (``flask mail ingest --recipient``);
    otherwise the token is looked for in Delivered-To, X-Original-To, To and Cc.
    """
    received_at = received_at or clock.now()
    parsed: ParsedMail | None = None
    reason = ""
    try:
        parsed = parse_message(
            raw, limits=mail_limits(), trusted_authserv_id=current_app.config["MAIL_TRUSTED_AUTHSERV_ID"] or None
        )
    except MailRejected as rejected:
        reason = rejected.code
    key = message_key(parsed, raw)
    existing = _existing(key)
    if existing is not None:
        return IngestResult(message=existing, duplicate=True)

    created: list[str] = []
    kept = copy_to_keep(raw, parsed, max_attachment_bytes=current_app.config["ATTACHMENT_MAX_BYTES"])
    raw_sha256, was_created = blob_store.put(kept.data)
    if was_created:
        created.append(raw_sha256)
    message = InboundMessage(
        message_key=key,
        message_id=masked(parsed.message_id if parsed else "")[:998],
        source=source,
        received_at=received_at,
        size=len(raw),
        raw_sha256=raw_sha256,
        original_sha256=hashlib.sha256(raw).hexdigest() if kept.masked else None,
        sender=masked(parsed.from_address if parsed else "")[:254],
        subject=masked(parsed.subject if parsed else "")[:500],
        status=InboundStatus.quarantined,
        reason=reason,
    )
    try:
        if parsed is not None:
            _decide(message, parsed, recipient, actor=actor, blob_store=blob_store, created=created)
        try:
            with db.session.begin_nested():
                db.session.add(message)
                db.session.flush()
        except IntegrityError:
            # Another worker stored the same message in the meantime: theirs counts (R62).
            existing = _existing(key)
            if existing is None:
                raise
            for sha256 in created:
                blob_store.discard(sha256)
            return IngestResult(message=existing, duplicate=True)
        record_event(
            actor,
            f"inbound_message.{message.status.value}",
            message,
            reason=message.reason,
            source=source,
            size=message.size,
            receipt_number=message.submission.receipt_number if message.submission else None,
        )
    except BaseException:
        for sha256 in created:
            blob_store.discard(sha256)
        raise
    return IngestResult(message=message, created_blobs=tuple(created))


def _decide(
    message: InboundMessage,
    parsed: ParsedMail,
    recipient: str | None,
    *,
    actor: Actor,
    blob_store: BlobStore,
    created: list[str],
) -> None:
    """Set the message's status and reason, and make the submission when every check holds."""
    if parsed.auto_reason:
        message.status, message.reason = InboundStatus.dropped, parsed.auto_reason
        return
    config = current_app.config
    recipients = [recipient.strip().lower()] if recipient else list(parsed.recipients)
    token = intake_token(recipients, local_part=config["MAIL_INTAKE_LOCAL_PART"], domain=config["MAIL_INTAKE_DOMAIN"])
    member = member_by_token(token)
    if member is None:
        message.reason = "unknown_token"
        return
    message.member_id = member.id
    if not parsed.from_address or parsed.from_address != member.email.lower():
        message.reason = "unknown_sender"
        return
    if parsed.dmarc is not None and parsed.dmarc != "pass":
        message.reason = "dmarc_failed"
        return
    consultation, reason = _choose_consultation(parsed.subject)
    if consultation is None:
        message.reason = reason
        return
    message.consultation_id = consultation.id
    files, refused = checked_attachments(parsed)
    if refused:
        message.reason = "attachment_refused"
        message.decision_note = ", ".join(refused)[:2000]
        return
    _accept(message, parsed, member, consultation, files, actor=actor, blob_store=blob_store, created=created)


def _question_text(parsed: ParsedMail) -> str:
    """The submission's text: the subject on the first line, then the body, as the member wrote them."""
    body = parsed.body.strip()
    subject = parsed.subject.strip()
    if subject and body:
        return f"{subject}\n\n{body}"
    return subject or body


def _accept(
    message: InboundMessage,
    parsed: ParsedMail,
    member: User,
    consultation: Consultation,
    files: list[CheckedFile],
    *,
    actor: Actor,
    blob_store: BlobStore,
    created: list[str],
) -> None:
    text = _question_text(parsed)
    if not text and not files:
        message.reason = "empty"
        return
    try:
        with db.session.begin_nested():
            accepted = file_question(message, parsed, member, consultation, files, actor, blob_store)
    except DomainError as error:
        message.reason = "invalid"
        message.decision_note = str(error.message)[:2000]
        return
    created.extend(accepted.created_blobs)
    message.status, message.reason = InboundStatus.accepted, ""
    message.submission = accepted.submission


def file_question(message, parsed, member, consultation, files, actor, blob_store):
    """The member's question made of the message: subject and text, checked files, received when it came."""
    return submit_member_question(
        consultation,
        member,
        body=_question_text(parsed) or str(_l("(See the attached file.)")),
        section_id=None,
        channel=Channel.email,
        files=files,
        received_at=message.received_at,
        actor=actor,
        blob_store=blob_store,
    )
