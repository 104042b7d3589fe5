"""A submission: one thing that arrived, exactly as it arrived, never edited."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import SealedText, UTCDateTime, enum_column


class Channel(enum.StrEnum):
    web = "web"
    email = "email"
    upload = "upload"
    post = "post"
    fax = "fax"
    in_person = "in_person"


class SubmitterKind(enum.StrEnum):
    citizen = "citizen"  # 市民 (lives, works or studies in the city)
    organisation = "organisation"  # 事業者・団体
    member = "member"  # 部会委員
    observer = "observer"  # オブザーバー委員
    other = "other"


class SubmissionImmutableError(RuntimeError):
    """Raised when code tries to change a stored submission: what arrived is kept exactly."""


class Submission(db.Model):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"))
    # 受付番号: digits with a Damm check digit, see domain/receipts.py.
    receipt_number: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    submitter_kind: Mapped[SubmitterKind] = mapped_column(enum_column(SubmitterKind, "submitter_kind"))
    # Plain text, individual numbers already masked (R14, R30).
    body: Mapped[str] = mapped_column(Text)
    # The instant the request reached the server; the deadline is judged on this (R51, R52).
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    late: Mapped[bool] = mapped_column(default=False)
    # How many individual numbers were masked before storing; never the numbers themselves.
    masked_numbers: Mapped[int] = mapped_column(default=0)
    # SHA-256 over the text and the attachments, shown on the receipt (see domain/receipts.py).
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # Paper, fax and in-person intake: who keyed it in, the day it arrived and, for post, the
    # postmark. Set when the row is written and never changed, like the rest of the submission.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    arrived_on: Mapped[date | None]
    postmarked_on: Mapped[date | None]
    # The committee member (or chair, or observer) whose question this is, whichever way it came:
    # the portal, an uploaded file, e-mail, or keyed in by the secretariat on their behalf.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    consultation = relationship("Consultation")
    section = relationship("Section")
    member = relationship("User", foreign_keys=[member_id])
    submitter: Mapped[Submitter | None] = relationship(back_populates="submission", uselist=False)
    attachments: Mapped[list[Attachment]] = relationship(back_populates="submission", order_by="Attachment.position")


class Submitter(db.Model):
    """The submitter's personal data, kept apart from the text so access to it can be controlled and logged.

    Name, e-mail and contact are encrypted at rest (R46) and emptied when the consultation's retention
    period ends (``flask purge``).
    """

    __tablename__ = "submitters"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    name: Mapped[str] = mapped_column(SealedText("submitters.name"), default="")
    email: Mapped[str] = mapped_column(SealedText("submitters.email"), default="")
    # A postal address or a telephone number, as given.
    contact: Mapped[str] = mapped_column(SealedText("submitters.contact"), default="")
    # When the submitter agreed to the purpose-of-use notice (R47).
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    submission: Mapped[Submission] = relationship(back_populates="submitter")


class Attachment(db.Model):
    """A file that came with a submission; its bytes live in the blob store under their SHA-256."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("submission_id", "position", name="uq_attachments_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    position: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))  # sanitised original name, metadata only (R39)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The type of the file that came, when it held an individual number and was replaced by its masked
    # text ("application/pdf"); None when the file is kept as it came, but for numbers masked in its text.
    converted_from: Mapped[str | None] = mapped_column(String(100))

    submission: Mapped[Submission] = relationship(back_populates="attachments")
    # The copy staff blacked out (黒塗り) to replace a file the service could not read (a scan, a picture).
    redacted_copy: Mapped[RedactedCopy | None] = relationship(back_populates="attachment", uselist=False)

    @property
    def kept(self) -> Attachment | RedactedCopy:
        """What is kept of the file and handed out: the redacted copy once there is one, else the file."""
        return self.redacted_copy or self


class RedactedCopy(db.Model):
    """A redacted copy (黒塗り) that replaced an attachment the service could not mask by itself (R14).

    The attachment's row stays as it arrived (its SHA-256 is in the receipt's fingerprint); this copy is
    what is kept and handed out, and the bytes it replaced are destroyed (``destructions``) once nothing
    else holds them. A copy may be replaced again by a better one; the audit trail has every step.
    """

    __tablename__ = "redacted_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Why, in the words of the clerk (masked like any text: it never holds the number itself).
    reason: Mapped[str] = mapped_column(Text, default="")
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    attachment: Mapped[Attachment] = relationship(back_populates="redacted_copy")
    made_by = relationship("User")
    destructions: Mapped[list[BlobDestruction]] = relationship(
        back_populates="redacted_copy", order_by="BlobDestruction.id", cascade="all, delete-orphan"
    )

    @property
    def original_destroyed_at(self) -> datetime | None:
        """When the bytes of the file as it arrived were deleted; None while they wait (see BlobDestruction)."""
        return next((entry.destroyed_at for entry in self.destructions if entry.what == DestroyedBlob.original), None)


class DestroyedBlob(enum.StrEnum):
    original = "original"  # the file as it arrived
    message = "message"  # the kept e-mail it came in, before the copy replaced it there too
    copy = "copy"  # an earlier redacted copy, replaced by a better one


class BlobDestruction(db.Model):
    """Bytes a redacted copy replaced, to be deleted from the blob store once nothing else holds them.

    Deleted after the replacement is committed (never before: a failed commit must not lose the file), at
    once and again by the worker, and only when no other record keeps the same bytes (the same file sent
    twice is kept once). ``destroyed_at`` stays None until then.
    """

    __tablename__ = "blob_destructions"

    id: Mapped[int] = mapped_column(primary_key=True)
    redacted_copy_id: Mapped[int] = mapped_column(ForeignKey("redacted_copies.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    what: Mapped[DestroyedBlob] = mapped_column(enum_column(DestroyedBlob, "destroyed_blob"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    redacted_copy: Mapped[RedactedCopy] = relationship(back_populates="destructions")


@event.listens_for(Submission, "before_update")
@event.listens_for(Attachment, "before_update")
def refuse_changes(mapper, connection, target) -> None:
    """What arrived is evidence: the ORM refuses to change a stored submission or its attachments."""
    state = inspect(target)
    changed = [attr.key for attr in mapper.column_attrs if state.attrs[attr.key].history.has_changes()]
    if changed:
        raise SubmissionImmutableError(f"{type(target).__name__} {target.id} is immutable; tried to change {changed}")


class TranscriptionCheck(db.Model):
    """A second person checked a keyed-in submission against its scan (the four-eyes rule)."""

    __tablename__ = "transcription_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LateDecision(db.Model):
    """Staff's decision on a submission that arrived after the period (R53), with the reason."""

    __tablename__ = "late_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    included: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
