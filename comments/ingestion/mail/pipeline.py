"""Questions by e-mail: one raw message in, a submission of the member or a quarantined message out.

``ingest_and_commit`` is what ``flask mail ingest`` (an MTA pipe), ``flask mail poll`` (IMAP) and the
benchmark call for every message; ``ingest_message`` applies the rules, in this order:

1. Over ``MAIL_INTAKE_MAX_BYTES``: quarantined unread (R63). A message the parser refuses (nesting,
   part count, header size, R64) is quarantined with the parser's reason.
2. The sender is identified: the token of the recipient address must belong to an active committee
   account (R59), the From address must be that account's address, and where our own mail server is
   trusted to add an Authentication-Results header, it must say ``dmarc=pass`` (R60).
3. The same message seen before: nothing new is written (R62). The same Message-ID counts only among
   the messages of the same verified member; any other message is the same only byte for byte.
4. An auto-reply, a bounce or bulk mail: kept as a "dropped" line, never a submission (R61). A message
   whose sender failed step 2: quarantine.
5. The question goes to the one consultation open for comment; with none, or several and the subject
   naming none of them by its short name (slug), it waits in quarantine for the secretariat to choose.
6. Attachments pass the upload checks of the public form (R38-R42, R66) and the reading limits (R40), and
   the text the individual-number masking; a refused attachment quarantines the whole message, so nothing
   the member sent is silently left out.

``read_mail`` does the reading (the message, then each attachment once, a PDF or Word file in a child
process under the reading limits) before ``ingest_and_commit`` opens its transaction, so no lock is held
while a file is read.

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
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.committee import member_by_token, submit_member_question
from comments.domain.masking import masked
from comments.domain.notifications import notify_mail_quarantined
from comments.domain.uploads import MaskedFile
from comments.extensions import db
from comments.ingestion.mail.masked_copy import KeptMessage, ReadAttachment, copy_to_keep, read_attachments
from comments.ingestion.mail.parser import MailLimits, MailRejected, ParsedMail, intake_token, parse_message
from comments.models import Channel, Consultation, ConsultationStatus, InboundMessage, InboundStatus, User
from comments.storage import BlobStore, blob_store
from comments.transactions import begin_write, end_transaction


@dataclass(frozen=True)
class IngestResult:
    message: InboundMessage
    duplicate: bool = False

    @property
    def outcome(self) -> str:
        """What a mail pipe or poller does with the message: "processed" or "quarantined"."""
        return "quarantined" if self.message.status == InboundStatus.quarantined else "processed"


INTAKE_ACTOR = Actor("mail-intake")


@dataclass(frozen=True)
class ReadMail:
    """One message read whole, with no transaction open: parsed (or the parser's reason for refusing it),
    each attachment checked and masked, and the bytes to keep."""

    parsed: ParsedMail | None
    reason: str
    attachments: list[ReadAttachment]
    kept: KeptMessage


def read_mail(raw: bytes) -> ReadMail:
    """Parse ``raw`` and read each attachment once (comments/ingestion/mail/masked_copy.py). It touches no
    database: call it with no transaction open, as ``ingest_and_commit`` does."""
    parsed: ParsedMail | None = None
    reason = ""
    try:
        parsed = parse_message(
            raw, limits=mail_limits(), trusted_authserv_id=current_app.config["MAIL_TRUSTED_AUTHSERV_ID"] or None
        )
    except MailRejected as rejected:
        reason = rejected.code
    attachments = read_attachments(parsed, max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"]) if parsed else []
    return ReadMail(parsed, reason, attachments, copy_to_keep(raw, parsed, attachments))


def ingest_and_commit(raw: bytes, *, source: str, recipient: str | None = None) -> IngestResult:
    """Ingest one message in its own transaction and commit it; roll back on failure (the files it stored
    stay: a blob may be shared, comments/storage.py). The message is read first, with no transaction open
    (``read_mail``)."""
    store = blob_store()
    end_transaction()
    mail = read_mail(raw)
    begin_write()
    try:
        result = ingest_message(
            raw, source=source, actor=INTAKE_ACTOR, blob_store=store, recipient=recipient, read=mail
        )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def mail_limits() -> MailLimits:
    return MailLimits(max_bytes=current_app.config["MAIL_INTAKE_MAX_BYTES"])


def message_key(parsed: ParsedMail | None, raw: bytes, member: User | None = None) -> str:
    """What makes a redelivery the same message (R62): its Message-ID among the messages of one verified
    member, else its bytes. A Message-ID is only the sender's word, so it never counts across senders: a
    stranger's message carrying ``Message-ID: <the member's next message>`` cannot make the member's real
    question a duplicate, and a message from nobody verified is a duplicate only of the very same bytes."""
    if member is not None and parsed is not None and parsed.message_id:
        scoped = f"member:{member.id}\nmessage-id:{parsed.message_id}"
        return hashlib.sha256(scoped.encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


@dataclass(frozen=True)
class Sender:
    """Whom a message is from, as far as the checks of R59-R60 can tell: ``member`` when the recipient's token
    belongs to an active member, else None; ``reason`` says why the message cannot be that member's."""

    member: User | None
    reason: str = ""

    @property
    def verified(self) -> User | None:
        return self.member if not self.reason else None


def identify_sender(parsed: ParsedMail, recipient: str | None) -> Sender:
    """The member the recipient's token names, and whether the From address and DMARC (when our mail server
    is trusted to judge it) say the message is theirs."""
    config = current_app.config
    recipients = [recipient.strip().lower()] if recipient else list(parsed.recipients)
    token = intake_token(recipients, local_part=config["MAIL_INTAKE_LOCAL_PART"], domain=config["MAIL_INTAKE_DOMAIN"])
    member = member_by_token(token)
    if member is None:
        return Sender(None, "unknown_token")
    if not parsed.from_address or parsed.from_address != member.email.lower():
        return Sender(member, "unknown_sender")
    if parsed.dmarc is not None and parsed.dmarc != "pass":
        return Sender(member, "dmarc_failed")
    return Sender(member)


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


def accepted_attachments(read: list[ReadAttachment]) -> tuple[list[MaskedFile], list[str]]:
    """The attachments that passed the upload checks and the reading limits, masked; and for each other one
    its name (it failed the checks) or the message saying it was over the reading limits."""
    files = [attachment.file for attachment in read if attachment.file is not None]
    return files, [attachment.refusal for attachment in read if attachment.file is None]


def _existing(key: str) -> InboundMessage | None:
    return db.session.scalars(select(InboundMessage).where(InboundMessage.message_key == key)).one_or_none()


def _same_bytes(sha256: str) -> InboundMessage | None:
    """A message kept before with exactly these bytes (the MTA and the poller delivering the same mail, with
    the envelope recipient once and without it once): the same message whoever it seems to be from."""
    return db.session.scalars(
        select(InboundMessage)
        .where(or_(InboundMessage.raw_sha256 == sha256, InboundMessage.original_sha256 == sha256))
        .order_by(InboundMessage.id)
        .limit(1)
    ).first()


def ingest_message(
    raw: bytes,
    *,
    source: str,
    actor: Actor,
    blob_store: BlobStore,
    received_at: datetime | None = None,
    recipient: str | None = None,
    read: ReadMail | None = None,
) -> IngestResult:
    """Read one message and record what became of it; the caller commits (or rolls back: the blobs stored
    stay, comments/storage.py).

    ``recipient`` is the envelope recipient when the MTA passes it (``flask mail ingest --recipient``);
    otherwise the token is looked for in Delivered-To, X-Original-To, To and Cc. ``read`` is ``read_mail(raw)``
    made before the caller's transaction began; without it the message is read here, inside it.
    """
    received_at = received_at or clock.now()
    read = read or read_mail(raw)
    parsed, reason = read.parsed, read.reason
    sender = identify_sender(parsed, recipient) if parsed is not None and not parsed.auto_reason else None
    key = message_key(parsed, raw, sender.verified if sender else None)
    existing = _existing(key) or _same_bytes(hashlib.sha256(raw).hexdigest())
    if existing is not None:
        return IngestResult(message=existing, duplicate=True)

    kept = read.kept
    raw_sha256, _written = blob_store.put(kept.data)
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
    if parsed is not None:
        _decide(message, parsed, sender, read.attachments, actor=actor, blob_store=blob_store)
    try:
        with db.session.begin_nested():
            db.session.add(message)
            db.session.flush()
    except IntegrityError:
        # Another worker stored the same message in the meantime: theirs counts (R62), and it points at
        # the same blobs, which therefore stay.
        existing = _existing(key)
        if existing is None:
            raise
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
    if message.status == InboundStatus.quarantined:
        notify_mail_quarantined()
    return IngestResult(message=message)


def _decide(
    message: InboundMessage,
    parsed: ParsedMail,
    sender: Sender | None,
    attachments: list[ReadAttachment],
    *,
    actor: Actor,
    blob_store: BlobStore,
) -> None:
    """Set the message's status and reason, and make the submission when every check holds."""
    if parsed.auto_reason or sender is None:
        message.status, message.reason = InboundStatus.dropped, parsed.auto_reason
        return
    if sender.member is not None:
        message.member_id = sender.member.id
    if sender.reason:
        message.reason = sender.reason
        return
    member = sender.member
    consultation, reason = _choose_consultation(parsed.subject)
    if consultation is None:
        message.reason = reason
        return
    message.consultation_id = consultation.id
    files, refused = accepted_attachments(attachments)
    if refused:
        message.reason = "attachment_refused"
        message.decision_note = ", ".join(refused)[:2000]
        return
    _accept(message, parsed, member, consultation, files, actor=actor, blob_store=blob_store)


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
    files: list[MaskedFile],
    *,
    actor: Actor,
    blob_store: BlobStore,
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
    message.status, message.reason = InboundStatus.accepted, ""
    message.submission = accepted.submission


def file_question(message, parsed, member, consultation, files, actor, blob_store):
    """The member's question made of the message: subject and text, the files read and masked beforehand
    (``accepted_attachments``), received when it came."""
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
