"""Notifications: what a person should act on, listed on their home page and mailed through the outbox
(one by one, or in a daily digest when they chose so)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime


class Notification(db.Model):
    """One notice to one person. ``kind`` names the message (rendered in the reader's language from
    ``params``, which never hold personal data of citizens); ``link`` is a path within the service."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_dedupe"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(500), default="")
    # Set when the same notice must not be made twice (a due date near, a step slipped): one per key.
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When it left by mail (alone, or in a digest); None while it waits for the digest.
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")
