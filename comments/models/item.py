"""Items: one opinion, question or request each, taken from a submission by staff, and the same-purport groups
they are answered in."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime, enum_column


class ItemKind(enum.StrEnum):
    opinion = "opinion"  # 意見
    question = "question"  # 質問
    request = "request"  # 要望


class Item(db.Model):
    """One opinion, question or request: a span of a submission's text, with its gist (意見の概要).

    The submission itself never changes; an item points into it by character offsets. Every part of a
    submission's text is in an item or in a ``NonOpinionSpan`` once it is fully triaged.
    """

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("consultation_id", "number", name="uq_items_consultation_number"),
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="span"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    # The item's number in the consultation's table, 1, 2, ... in the order items were made.
    number: Mapped[int]
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind, "item_kind"))
    gist: Mapped[str] = mapped_column(Text)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("same_purport_groups.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    due_on: Mapped[date | None]
    # 次回以降の部会で説明: carried over to a later meeting, with the reason.
    carried_over_reason: Mapped[str | None] = mapped_column(Text)
    carried_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    submission = relationship("Submission")
    section = relationship("Section")
    group: Mapped[SamePurportGroup | None] = relationship(back_populates="items")
    department = relationship("Department")


class NonOpinionSpan(db.Model):
    """A part of a submission that is not an opinion (a greeting, a signature), marked so by staff."""

    __tablename__ = "non_opinion_spans"
    __table_args__ = (CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="span"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    start_offset: Mapped[int]
    end_offset: Mapped[int]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class SamePurportGroup(db.Model):
    """Items that say the same thing (同趣旨の意見), answered once; every member item is kept (R06)."""

    __tablename__ = "same_purport_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    gist: Mapped[str] = mapped_column(Text)  # the one summary shown for the group
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    items: Mapped[list[Item]] = relationship(back_populates="group", order_by="Item.number")
