"""Accepting a submission: the deadline check, masking, receipt, files, outbox and audit in one step.

The attached files are read and masked before that step, outside any transaction (``read_attachments``):
reading a PDF or Word file can take seconds, and no lock may be held meanwhile (R40).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from comments import throttles
from comments.clock import JAPAN
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.deadlines import is_accepting, period_accepts
from comments.domain.masking import contains_individual_number, mask_individual_numbers
from comments.domain.outbox import deliverable_address, enqueue_mail
from comments.domain.receipts import FingerprintedFile, compute_fingerprint, new_receipt_number
from comments.domain.uploads import CheckedFile, MaskedFile, NumberInFileError, UnreadableFileError, mask_files
from comments.extensions import db
from comments.models import (
    Attachment,
    Channel,
    Consultation,
    ConsultationStatus,
    OutboxMessage,
    PostalRule,
    Section,
    Submission,
    Submitter,
    SubmitterKind,
)
from comments.storage import BlobStore
from comments.text import clean_line, clean_text

RECEIPT_ATTEMPTS = 5


class PeriodClosedError(DomainError):
    """The submission arrived outside the comment period."""


class SubmissionInvalidError(DomainError):
    """The submission breaks an input rule; ``field`` names the input."""


@dataclass
class SubmissionDraft:
    """What somebody sent, before it is checked and stored."""

    body: str
    submitter_kind: SubmitterKind
    channel: Channel = Channel.web
    section_id: int | None = None
    name: str = ""
    email: str = ""
    contact: str = ""
    consented: bool = False
    # Read and masked before any transaction begins (``read_attachments``), never by accept_submission.
    files: list[MaskedFile] = field(default_factory=list)
    # The committee member whose question this is (portal, upload, e-mail, or keyed in on their behalf).
    member_id: int | None = None


@dataclass
class AcceptedSubmission:
    submission: Submission
    # Blobs this call wrote; the caller removes them if the transaction does not commit.
    created_blobs: list[str]


# The address is kept and mailed to as it is, so a number in it cannot be masked: it is refused, by the
# forms at once (with any other error) and here for every channel.
NUMBER_IN_EMAIL = _l(
    "The e-mail address holds what looks like an individual number (マイナンバー), which the city may not "
    "keep. Enter an address without it, or leave the field empty."
)


# The receipt is sent through a plain SMTP relay, without SMTPUTF8 (see outbox.deliverable_address).
UNDELIVERABLE_EMAIL = _l(
    "The confirmation mail cannot be sent to this address. Write the part before @ in half-width letters, "
    "digits and the signs . _ - + (an address such as 日本語@example.jp cannot be delivered), or leave the field "
    "empty and give a postal address or telephone number if you want to be contacted."
)


def read_attachments(files: list[CheckedFile], *, channel: Channel, staff: bool = False) -> list[MaskedFile]:
    """The files of a submission with every individual number masked, for its draft: call it before the
    transaction that stores the submission begins, and with none open (no lock, no snapshot is held while
    a file is read: reading one can take FILE_READ_WALL_SECONDS).

    A PDF holding a number is refused where the sender is there to send it again (the public form, staff
    keying in), else replaced by its masked text. A file over the reading limits is refused (R40). Either
    raises ``SubmissionInvalidError`` on ``attachments``, as do too many or too large files, checked first.
    """
    _check_files(files)
    convert_pdf = not staff and channel in (Channel.email, Channel.upload)
    try:
        return mask_files(files, convert_pdf=convert_pdf)
    except (NumberInFileError, UnreadableFileError) as error:
        raise SubmissionInvalidError(error.message, field="attachments") from None


def _check_files(files: list[CheckedFile]) -> None:
    config = current_app.config
    if len(files) > config["ATTACHMENT_MAX_FILES"]:
        raise SubmissionInvalidError(
            _l("Attach at most %(count)d files.", count=config["ATTACHMENT_MAX_FILES"]), field="attachments"
        )
    if sum(f.size for f in files) > config["ATTACHMENT_MAX_TOTAL_BYTES"]:
        raise SubmissionInvalidError(
            _l(
                "The attachments together exceed %(limit)d MB. Send fewer or smaller files, or send them by post.",
                limit=config["ATTACHMENT_MAX_TOTAL_BYTES"] // (1024 * 1024),
            ),
            field="attachments",
        )


def _check_draft(consultation: Consultation, draft: SubmissionDraft) -> None:
    config = current_app.config
    body = clean_text(draft.body)
    if not body.strip():
        raise SubmissionInvalidError(_l("Write your opinion in the text box."), field="body")
    if len(body) > config["COMMENT_MAX_CHARS"]:
        raise SubmissionInvalidError(
            _l(
                "Your opinion is %(length)d characters; the limit is %(limit)d. Shorten it, or attach the rest as a file.",
                length=len(body),
                limit=config["COMMENT_MAX_CHARS"],
            ),
            field="body",
        )
    if draft.section_id is not None:
        section = db.session.get(Section, draft.section_id)
        if section is None or section.consultation_id != consultation.id:
            raise SubmissionInvalidError(
                _l("Choose a section of this draft, or “The whole draft / not specific”."), field="section_id"
            )
    if consultation.require_name and not clean_line(draft.name):
        raise SubmissionInvalidError(_l("This consultation asks for your name."), field="name")
    if consultation.require_contact and not (clean_line(draft.email) or clean_text(draft.contact).strip()):
        raise SubmissionInvalidError(
            _l(
                "This consultation asks for a way to contact you: an e-mail address, a postal address or a telephone number."
            ),
            field="contact",
        )
    if draft.channel == Channel.web and draft.member_id is None and not draft.consented:
        raise SubmissionInvalidError(
            _l("Read the notice on the use of personal information and tick the box to agree."), field="consent"
        )
    if "\n" in draft.email or "\r" in draft.email:
        # R34: nothing a person types may reach a mail header with a line break in it.
        raise SubmissionInvalidError(_l("Enter a valid e-mail address."), field="email")
    if contains_individual_number(draft.email):
        # The address is kept and mailed to as it is, so a number in it cannot be masked: refused.
        raise SubmissionInvalidError(NUMBER_IN_EMAIL, field="email")
    if clean_line(draft.email) and deliverable_address(clean_line(draft.email)) is None:
        raise SubmissionInvalidError(UNDELIVERABLE_EMAIL, field="email")
    _check_files([masked_file.file for masked_file in draft.files])


# Built once: the period of one consultation, read under a shared lock, and whether a receipt number is taken.
_PERIOD_AND_RECEIPT = (
    select(
        Consultation.status,
        Consultation.opens_at,
        Consultation.closes_at,
        select(Submission.id).where(Submission.receipt_number == bindparam("receipt_number")).exists(),
    )
    .where(Consultation.id == bindparam("consultation_id"))
    .with_for_update(read=True, of=Consultation)
)


def _lock_period_and_draw_receipt(
    consultation: Consultation, received_at: datetime, *, judge_period: bool = True
) -> str:
    """Judge the period again and draw an unused receipt number, in one statement; return the number.

    On PostgreSQL the consultation's row is read with a shared lock (FOR SHARE), so a concurrent close or
    extension waits for this insert instead of racing it; on SQLite the caller's write transaction
    (BEGIN IMMEDIATE) already keeps every other writer out. Ten random digits rarely collide; the
    unique constraint still guards the tiny window in which two concurrent requests draw the same number
    (that request then fails whole, before any receipt was shown).
    """
    for _attempt in range(RECEIPT_ATTEMPTS):
        number = new_receipt_number()
        status, opens_at, closes_at, number_taken = db.session.execute(
            _PERIOD_AND_RECEIPT, {"consultation_id": consultation.id, "receipt_number": number}
        ).one()
        if judge_period and not period_accepts(status, opens_at, closes_at, received_at):
            raise PeriodClosedError(_l("The comment period of this consultation has ended."))
        if not number_taken:
            return number
    raise RuntimeError("could not draw an unused receipt number")


@dataclass(frozen=True)
class StaffEntry:
    """A submission keyed in by staff from post, fax, a visit or a forwarded e-mail."""

    entered_by_id: int
    arrived_on: date
    postmarked_on: date | None = None


def counted_day(consultation: Consultation, channel: Channel, entry: StaffEntry) -> date:
    """The day that decides whether paper came in time: the postmark for post under 消印有効, else arrival."""
    if channel == Channel.post and consultation.postal_rule == PostalRule.postmark and entry.postmarked_on:
        return entry.postmarked_on
    return entry.arrived_on


def is_late(consultation: Consultation, channel: Channel, entry: StaffEntry) -> bool:
    """Whether a keyed-in submission falls outside the period, judged on its counted day in Japan time."""
    first_day = consultation.opens_at.astimezone(JAPAN).date()
    last_day = (consultation.closes_at - timedelta(microseconds=1)).astimezone(JAPAN).date()
    return not first_day <= counted_day(consultation, channel, entry) <= last_day


def accept_submission(
    consultation: Consultation,
    draft: SubmissionDraft,
    *,
    received_at: datetime,
    actor: Actor,
    blob_store: BlobStore,
    staff_entry: StaffEntry | None = None,
) -> AcceptedSubmission:
    """Store ``draft`` as a submission of the consultation, if ``received_at`` is inside its period.

    The period is judged on ``received_at``, the instant the request reached the server, so a request
    that arrived before the deadline is kept however late its transaction commits (R52). The personal
    data, the attachments, the receipt e-mail in the outbox and the audit event are written in the same
    transaction; the caller commits once.

    A ``staff_entry`` (paper, fax, in person, forwarded e-mail) is stored whatever its date: one that
    arrived outside the period is marked late and counts only once staff record a decision (R53). So is
    a committee member's question (``draft.member_id``) from the portal, a file or e-mail: the committee
    inspects, and a member briefed after the meeting may still send one; it is never refused, only marked.
    """
    late = False
    if staff_entry is not None and draft.channel == Channel.web:
        raise DomainError(_l("Staff enter post, fax, in-person and e-mail submissions, not web ones."))
    if staff_entry is not None or draft.member_id is not None:
        if consultation.status == ConsultationStatus.draft:
            raise DomainError(_l("This consultation has not been published yet."))
        if staff_entry is not None:
            late = is_late(consultation, draft.channel, staff_entry)
        else:
            late = not is_accepting(consultation, received_at)
    receipt_number = _lock_period_and_draw_receipt(
        consultation, received_at, judge_period=staff_entry is None and draft.member_id is None
    )
    _check_draft(consultation, draft)

    body, masked = mask_individual_numbers(clean_text(draft.body))
    name, masked_name = mask_individual_numbers(clean_line(draft.name))
    contact, masked_contact = mask_individual_numbers(clean_text(draft.contact))
    masked_files = draft.files
    files = [masked_file.file for masked_file in masked_files]
    masked += sum(masked_file.numbers for masked_file in masked_files) + masked_name + masked_contact
    email = clean_line(draft.email)

    submission = Submission(
        consultation=consultation,
        section_id=draft.section_id,
        receipt_number=receipt_number,
        channel=draft.channel,
        submitter_kind=draft.submitter_kind,
        body=body,
        received_at=received_at,
        late=late,
        entered_by_id=staff_entry.entered_by_id if staff_entry else None,
        arrived_on=staff_entry.arrived_on if staff_entry else None,
        postmarked_on=staff_entry.postmarked_on if staff_entry else None,
        member_id=draft.member_id,
        masked_numbers=masked,
        fingerprint=compute_fingerprint(body, [FingerprintedFile(f.filename, f.sha256) for f in files]),
        submitter=Submitter(
            name=name,
            email=email,
            contact=contact,
            consented_at=received_at if draft.consented else None,
        ),
    )
    created: list[str] = []
    try:
        for position, (file, masked_file) in enumerate(zip(files, masked_files, strict=True), start=1):
            sha256, was_created = blob_store.put(file.data)
            if was_created:
                created.append(sha256)
            submission.attachments.append(
                Attachment(
                    position=position,
                    filename=file.filename,
                    content_type=file.content_type,
                    size=file.size,
                    sha256=sha256,
                    converted_from=masked_file.converted_from,
                )
            )
        db.session.add(submission)
        mail_withheld = bool(email) and not queue_receipt_mail(submission, email)
        db.session.flush()
        record_event(
            actor,
            "submission.accepted",
            submission,
            receipt_number=submission.receipt_number,
            channel=submission.channel.value,
            attachments=len(files),
            masked_numbers=masked,
        )
        if mail_withheld:
            record_event(actor, "submission.receipt_mail_withheld", submission)
    except BaseException:
        for sha256 in created:
            blob_store.discard(sha256)
        raise
    return AcceptedSubmission(submission=submission, created_blobs=created)


def queue_receipt_mail(submission: Submission, email: str) -> bool:
    """Put the confirmation e-mail in the outbox, in the submitter's language; sent after commit.

    False, and no mail, once RECEIPT_MAILS_PER_RECIPIENT_PER_DAY went to this address (R57): nobody can
    flood another person's mailbox by sending opinions in their name. The opinion is kept all the same.
    """
    limit = f"{current_app.config['RECEIPT_MAILS_PER_RECIPIENT_PER_DAY']}/day"
    if not throttles.spend("receipt-mail", throttles.subject_key("recipient", email.strip().lower()), limit):
        return False
    locale = str(get_locale() or "ja")
    with force_locale(locale):
        subject = str(
            _l(
                "[%(org)s] Your opinion was received (receipt number %(receipt)s)",
                org=current_app.config["ORGANISATION_NAME"],
                receipt=submission.receipt_number,
            )
        )
        body = render_template("mail/receipt.txt", submission=submission)
    enqueue_mail(to=email, subject=subject, body=body, submission=submission)
    return True


def receipt_mail_withheld(submission: Submission) -> bool:
    """Whether the submitter gave an address and no receipt mail was queued for it (the limit above)."""
    if submission.submitter is None or not submission.submitter.email:
        return False
    queued = select(OutboxMessage.id).where(OutboxMessage.submission_id == submission.id).limit(1)
    return db.session.execute(queued).first() is None
