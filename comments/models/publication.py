"""Published results: the redacted copy of each line and the record of every redaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.response import ResponseCategory
from comments.models.types import UTCDateTime, enum_column


class PublicationEntry(db.Model):
    """One line of a consultation's published results: a redacted copy of an item's (or a group's) gist
    and the city's view, or the record that it was omitted and why (R04-R07).

    The copy is made when the secretariat prepares the results; the items and the submissions stay as
    they are, for staff (R05). What the public sees comes from these rows only.
    """

    __tablename__ = "publication_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    position: Mapped[int]
    item_numbers: Mapped[str] = mapped_column(String(2000))  # "3" or "1, 2, 5" for a group
    group_count: Mapped[int] = mapped_column(default=1)
    # The section of the draft the opinion is about ("" for the whole draft), as the packet has it.
    section: Mapped[str] = mapped_column(String(400), default="", server_default="")
    gist: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text)
    category: Mapped[ResponseCategory | None] = mapped_column(enum_column(ResponseCategory, "response_category"))
    change_made: Mapped[str] = mapped_column(Text, default="")
    omitted: Mapped[bool] = mapped_column(default=False)
    omission_reason: Mapped[str] = mapped_column(Text, default="")

    redactions: Mapped[list[Redaction]] = relationship(back_populates="entry", order_by="Redaction.id")


class Redaction(db.Model):
    """Something removed from a publication entry, with why: never the removed text itself."""

    __tablename__ = "redactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("publication_entries.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(20))  # "gist", "response" or "change_made"
    reason: Mapped[str] = mapped_column(Text)
    automatic: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    entry: Mapped[PublicationEntry] = relationship(back_populates="redactions")


class ResultsChange(db.Model):
    """A change to results already published, never a silent edit: a line corrected (what it said, what it
    says now, why) or the whole publication withdrawn (why). The public page lists every change with its day."""

    __tablename__ = "results_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "correction" or "withdrawal"
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("publication_entries.id"))
    field: Mapped[str] = mapped_column(String(20), default="")  # of a correction: "gist", "response", ...
    old_text: Mapped[str] = mapped_column(Text, default="")
    new_text: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    made_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    entry: Mapped[PublicationEntry | None] = relationship()
