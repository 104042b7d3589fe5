"""Mail to send, written in the same transaction as what caused it (R48)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import SealedText, UTCDateTime, enum_column


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after OUTBOX_MAX_ATTEMPTS; an operator looks at last_error


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Minted once when the row is written, so a resend after a crash carries the same Message-ID.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # A citizen's e-mail address: encrypted at rest like the rest of their contact data (R46).
    to_address: Mapped[str] = mapped_column(SealedText("outbox_messages.to_address"))
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    # A worker that claims a row holds it until this instant; a crashed worker's claim runs out.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    submission = relationship("Submission")
