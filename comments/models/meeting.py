"""Committee meetings (部会) and the consultations whose packet each one inspects."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments.extensions import db
from comments.models.types import UTCDateTime

meeting_consultations = Table(
    "meeting_consultations",
    db.metadata,
    Column("meeting_id", Integer, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("consultation_id", Integer, ForeignKey("consultations.id"), primary_key=True),
)


class Meeting(db.Model):
    """A committee meeting (部会) whose inspection packet covers its consultations."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date]
    final_packet_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    consultations = relationship("Consultation", secondary=meeting_consultations, order_by="Consultation.id")
