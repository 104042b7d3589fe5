"""Accepting a submission: the deadline check, masking, receipt, files, outbox and audit in one step.

The attached files are read and masked before that step, outside any transaction (``read_attachments``):
reading a PDF or Word file can take seconds, and no lock may be held meanwhile (R40). The checks, the
masking of the text and the storing of the files may come before the lock too (``prepare_submission``), so
that the lock every other writer waits for is held for the few statements that store the submission.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property

from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from comments import clock, throttles
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


@dataclass(frozen=True)
class PreparedSubmission:
    """A draft checked, cleaned and masked, its files in the blob store (``prepare_submission``): everything
    that is stored but what the write transaction decides (the receipt number, and whether it is late)."""

    draft: SubmissionDraft
    body: str
    name: str
    contact: str
    email: str
    masked_numbers: int
    fingerprint: str
    sha256s: tuple[str, ...]  # of draft.files, in order


@dataclass
class AcceptedSubmission:
    """What ``accept_submission`` stored. The rows are written with single INSERT statements, not through the
    ORM's unit of work (the costliest part of the citizen's request); ``submission``, the ORM object, is made
    when first asked for, from the values written, without reading them back."""

    submission_id: int
    receipt_number: str
    # Its files are in the blob store; they stay there if the transaction does not commit (a blob is shared
    # by every record holding the same bytes, comments/storage.py): `flask blobs gc` removes them later.
    _make_submission: Callable[[], Submission] = field(repr=False)

    @cached_property
    def submission(self) -> Submission:
        return self._make_submission()


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
# On the tables rather than the mapped classes: a plain Core statement skips the ORM's result machinery.
_consultations, _submissions = Consultation.__table__, Submission.__table__
_RECEIPT_TAKEN = select(_submissions.c.id).where(_submissions.c.receipt_number == bindparam("receipt_number")).exists()
_PERIOD_AND_RECEIPT = (
    select(_consultations.c.status, _consultations.c.opens_at, _consultations.c.closes_at, _RECEIPT_TAKEN)
    .where(_consultations.c.id == bindparam("consultation_id"))
    .with_for_update(read=True, of=_consultations)
)


@dataclass(frozen=True)
class PeriodLock:
    """A consultation's period as read under the shared lock on its row, by the statement that loaded the
    consultation, with a receipt number drawn in that statement and found unused (``lock_period_on_read``).

    ``accept_submission`` given one reads neither again while the transaction that read them is still the
    session's: that transaction holds the lock, so no close or extension can have changed the period since,
    and the period is judged on the values read under it, as ``_PERIOD_AND_RECEIPT`` would read them. Once
    that transaction ended (the form ends it before reading attached files, R40) the lock is gone with it,
    and the period is read again as without one.
    """

    transaction: object  # the session's root transaction when the row was read (SessionTransaction)
    status: ConsultationStatus
    opens_at: datetime
    closes_at: datetime
    receipt_number: str | None  # None when the number drawn was taken

    def held(self) -> bool:
        transaction = self.transaction
        return transaction is db.session().get_transaction() and transaction.is_active


def lock_period_on_read(statement):
    """``statement``, which reads one consultation's row (``consultations`` in its FROM, with its ``status``,
    ``opens_at`` and ``closes_at`` among the columns), made to take the period lock (FOR SHARE on that row)
    and to tell whether a receipt number is taken. Built once; run by ``read_with_period_lock``.

    PostgreSQL only: there a reader can take the lock early at no cost to the other opinions, as FOR SHARE
    keeps out only a close or an extension of the consultation (another opinion's FOR SHARE does not wait
    for it), so the form's first read takes it and ``accept_submission`` runs its INSERTs alone. On SQLite
    the lock is the database's write lock, which every other opinion waits for: it is taken just before the
    INSERTs (``begin_write``) and the period is read again under it.
    """
    return statement.add_columns(_RECEIPT_TAKEN).with_for_update(read=True, of=_consultations)


def read_with_period_lock(statement, parameters: dict) -> tuple[tuple, PeriodLock] | None:
    """Run a statement of ``lock_period_on_read`` with a receipt number drawn for it: the row's own columns
    and the ``PeriodLock`` to hand to ``accept_submission``; None when it found no row."""
    number = new_receipt_number()
    row = db.session.execute(statement, {**parameters, "receipt_number": number}).one_or_none()
    if row is None:
        return None
    *columns, number_taken = row
    period_lock = PeriodLock(
        transaction=db.session().get_transaction(),
        status=row.status,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        receipt_number=None if number_taken else number,
    )
    return tuple(columns), period_lock


def _lock_period_and_draw_receipt(
    consultation: Consultation,
    received_at: datetime,
    *,
    judge_period: bool = True,
    period_lock: PeriodLock | None = None,
) -> str:
    """Judge the period again and draw an unused receipt number, in one statement; return the number.

    On PostgreSQL the consultation's row is read with a shared lock (FOR SHARE), so a concurrent close or
    extension waits for this insert instead of racing it; on SQLite the caller's write transaction
    (BEGIN IMMEDIATE) already keeps every other writer out. Ten random digits rarely collide; the
    unique constraint still guards the tiny window in which two concurrent requests draw the same number
    (that request then fails whole, before any receipt was shown).

    A ``period_lock`` still held (``PeriodLock``) already holds both answers: no statement is run.
    """
    if period_lock is not None and period_lock.held():
        if judge_period and not period_accepts(
            period_lock.status, period_lock.opens_at, period_lock.closes_at, received_at
        ):
            raise PeriodClosedError(_l("The comment period of this consultation has ended."))
        if period_lock.receipt_number is not None:
            return period_lock.receipt_number
    # Core statements do not flush the session first as ORM ones do: what the transaction changed so far (a
    # consultation opened in it) must be in the database before it is judged.
    db.session.flush()
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


def prepare_submission(
    consultation: Consultation, draft: SubmissionDraft, *, blob_store: BlobStore
) -> PreparedSubmission:
    """Check ``draft`` against the input rules (SubmissionInvalidError), clean its text, mask every individual
    number in it and put its files in the blob store: all of ``accept_submission`` that needs no lock.

    The public form calls it before it takes SQLite's write lock and hands the result to accept_submission,
    which then holds the lock for its few statements alone: every other writer waits for that lock, so
    whatever is done while holding it limits how many opinions a second the service can take. Given a
    plain draft, accept_submission calls it itself, once the period has been judged.
    """
    _check_draft(consultation, draft)
    body, masked = mask_individual_numbers(clean_text(draft.body))
    name, masked_name = mask_individual_numbers(clean_line(draft.name))
    contact, masked_contact = mask_individual_numbers(clean_text(draft.contact))
    files = [masked_file.file for masked_file in draft.files]
    masked += sum(masked_file.numbers for masked_file in draft.files) + masked_name + masked_contact
    return PreparedSubmission(
        draft=draft,
        body=body,
        name=name,
        contact=contact,
        email=clean_line(draft.email),
        masked_numbers=masked,
        fingerprint=compute_fingerprint(body, [FingerprintedFile(f.filename, f.sha256) for f in files]),
        sha256s=tuple(blob_store.put(file.data)[0] for file in files),
    )


# Built once; each submission only binds its values.
_INSERT_SUBMISSION = Submission.__table__.insert()
_INSERT_SUBMITTER = Submitter.__table__.insert()
_INSERT_ATTACHMENT = Attachment.__table__.insert()


class _SubmissionRow:
    """The submission just inserted, named as ``record_event`` names its object: by table and id."""

    __tablename__ = Submission.__tablename__

    def __init__(self, row_id: int):
        self.id = row_id


def accept_submission(
    consultation: Consultation,
    draft: SubmissionDraft | PreparedSubmission,
    *,
    received_at: datetime,
    actor: Actor,
    blob_store: BlobStore,
    staff_entry: StaffEntry | None = None,
    period_lock: PeriodLock | None = None,
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

    ``draft`` may come prepared (``prepare_submission``), checked and masked before the caller's lock.
    ``period_lock`` is the period as the caller read it under the lock, with a receipt number (``PeriodLock``):
    while its transaction lasts, nothing is read again.
    """
    prepared = draft if isinstance(draft, PreparedSubmission) else None
    if prepared is not None:
        draft = prepared.draft
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
        consultation,
        received_at,
        judge_period=staff_entry is None and draft.member_id is None,
        period_lock=period_lock,
    )
    if prepared is None:
        prepared = prepare_submission(consultation, draft, blob_store=blob_store)

    submission_row = {
        "consultation_id": consultation.id,
        "section_id": draft.section_id,
        "receipt_number": receipt_number,
        "channel": draft.channel,
        "submitter_kind": draft.submitter_kind,
        "body": prepared.body,
        "received_at": received_at,
        "late": late,
        "masked_numbers": prepared.masked_numbers,
        "fingerprint": prepared.fingerprint,
        "created_at": clock.now(),
        "entered_by_id": staff_entry.entered_by_id if staff_entry else None,
        "arrived_on": staff_entry.arrived_on if staff_entry else None,
        "postmarked_on": staff_entry.postmarked_on if staff_entry else None,
        "member_id": draft.member_id,
    }
    session = db.session
    submission_id = session.execute(_INSERT_SUBMISSION, submission_row).inserted_primary_key[0]
    submitter_row = {
        "submission_id": submission_id,
        "name": prepared.name,
        "email": prepared.email,
        "contact": prepared.contact,
        "consented_at": received_at if draft.consented else None,
    }
    submitter_id = session.execute(_INSERT_SUBMITTER, submitter_row).inserted_primary_key[0]
    attachment_rows = [
        {
            "submission_id": submission_id,
            "position": position,
            "filename": masked_file.file.filename,
            "content_type": masked_file.file.content_type,
            "size": masked_file.file.size,
            "sha256": sha256,
            "converted_from": masked_file.converted_from,
        }
        for position, (masked_file, sha256) in enumerate(zip(draft.files, prepared.sha256s, strict=True), start=1)
    ]
    attachments = [(session.execute(_INSERT_ATTACHMENT, row).inserted_primary_key[0], row) for row in attachment_rows]

    accepted = AcceptedSubmission(
        submission_id=submission_id,
        receipt_number=receipt_number,
        _make_submission=lambda: _loaded_submission(
            (submission_id, submission_row), (submitter_id, submitter_row), attachments
        ),
    )
    mail_withheld = bool(prepared.email) and not queue_receipt_mail(accepted.submission, prepared.email)
    if prepared.email:
        db.session.flush()  # the receipt mail in the outbox; Core statements do not flush
    record_event(
        actor,
        "submission.accepted",
        _SubmissionRow(submission_id),
        receipt_number=receipt_number,
        channel=draft.channel.value,
        attachments=len(draft.files),
        masked_numbers=prepared.masked_numbers,
    )
    if mail_withheld:
        record_event(actor, "submission.receipt_mail_withheld", _SubmissionRow(submission_id))
    return accepted


def _loaded_submission(
    submission: tuple[int, dict], submitter: tuple[int, dict], attachments: list[tuple[int, dict]]
) -> Submission:
    """The ORM objects of rows this transaction just inserted, from the values it wrote (no SELECT): in the
    session as if loaded from the database, their relationships to one another filled in. Its consultation
    is loaded as any many-to-one is, from the session when it holds it."""

    def loaded(model, row_id: int, values: dict):
        obj = model(id=row_id, **values)
        make_transient_to_detached(obj)  # a row of the database, not a new object to insert
        db.session.add(obj)
        return obj

    stored = loaded(Submission, *submission)
    person = loaded(Submitter, *submitter)
    files = [loaded(Attachment, *attachment) for attachment in attachments]
    set_committed_value(stored, "submitter", person)
    set_committed_value(person, "submission", stored)
    set_committed_value(stored, "attachments", files)
    for file in files:
        set_committed_value(file, "submission", stored)
        set_committed_value(file, "redacted_copy", None)
    return stored


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
        names = {"org": current_app.config["ORGANISATION_NAME"], "receipt": submission.receipt_number}
        if submission.member_id is not None:
            subject = str(_l("[%(org)s] Your question was received (receipt number %(receipt)s)", **names))
        else:
            subject = str(_l("[%(org)s] Your opinion was received (receipt number %(receipt)s)", **names))
        body = render_template("mail/receipt.txt", submission=submission)
    enqueue_mail(to=email, subject=subject, body=body, submission=submission)
    return True


def receipt_mail_withheld(submission: Submission) -> bool:
    """Whether the submitter gave an address and no receipt mail was queued for it (the limit above)."""
    if submission.submitter is None or not submission.submitter.email:
        return False
    queued = select(OutboxMessage.id).where(OutboxMessage.submission_id == submission.id).limit(1)
    return db.session.execute(queued).first() is None
