"""The audit trail: who did what to which record, when and from where; never the data itself (R43, R45)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    actor: Mapped[str] = mapped_column(String(100))  # "anonymous", "system", "cli", later a user id
    action: Mapped[str] = mapped_column(String(100), index=True)
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str | None] = mapped_column(String(50))
    ip: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # Identifiers and counts only; domain code must never put personal data or comment text here.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # The hash chain (R43): events are sealed in order by the worker, each sealed event taking the next
    # sequence number and a SHA-256 over its content and the previous event's hash. An edit, insertion
    # or deletion among sealed events breaks the chain, which `flask audit verify` reports.
    seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditReview(db.Model):
    """An administrator read the audit trail of a period and says so (the committee: logs nobody reads
    are worthless)."""

    __tablename__ = "audit_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    note: Mapped[str] = mapped_column(Text, default="")
