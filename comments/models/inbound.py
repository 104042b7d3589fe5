"""An e-mail that reached the committee's intake address, whatever became of it (R59-R65)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments.extensions import db
from comments.models.types import UTCDateTime, enum_column


class InboundStatus(enum.StrEnum):
    accepted = "accepted"  # became a submission of the member whose token it carried
    quarantined = "quarantined"  # waits for the secretariat: release or reject
    dropped = "dropped"  # an auto-reply, a bounce or bulk mail (R61): kept as a line, never a submission
    released = "released"  # the secretariat made a submission of a quarantined message
    rejected = "rejected"  # the secretariat decided a quarantined message is not a question


class InboundMessage(db.Model):
    """One message read by ``flask mail ingest`` or ``flask mail poll``.

    ``message_key`` makes a redelivery harmless (R62): the SHA-256 of the Message-ID, or of the raw bytes
    when a message has none. The raw message is kept in the blob store under ``raw_sha256`` (a masked copy
    when it held an individual number), so the secretariat can read what came and a released message is
    built from exactly those bytes. Nothing in a
    header decides anything but the content (R65): the owner comes from the token and its account alone.
    """

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(String(998), default="")
    source: Mapped[str] = mapped_column(String(10))  # "pipe" or "imap"
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    size: Mapped[int]
    raw_sha256: Mapped[str] = mapped_column(String(64))
    # When the message held an individual number, the blob under ``raw_sha256`` is a masked copy and the
    # original is not kept: this is the SHA-256 of the original, as evidence of what came (R14).
    original_sha256: Mapped[str | None] = mapped_column(String(64))
    # The From address and subject as sent; personal data, shown to the secretariat only, on request.
    sender: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[InboundStatus] = mapped_column(enum_column(InboundStatus, "inbound_status"), index=True)
    # Why it was quarantined or dropped, as a code (see ingestion/mail/quarantine.py REASONS); "" when accepted.
    reason: Mapped[str] = mapped_column(String(40), default="")
    # The account whose token the message carried, when the token was valid.
    member_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), unique=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")

    member = relationship("User", foreign_keys=[member_id])
    consultation = relationship("Consultation")
    submission = relationship("Submission")
    decided_by = relationship("User", foreign_keys=[decided_by_id])
