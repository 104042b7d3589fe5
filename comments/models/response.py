"""Responses (市の考え方) to an item or a group: the response, every revision of it, reviewers' remarks, and
reusable templates."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime, enum_column


class ResponseState(enum.StrEnum):
    drafting = "drafting"
    in_review = "in_review"
    approved = "approved"


class ResponseCategory(enum.StrEnum):
    reflected = "reflected"  # 反映: the draft was changed
    already_covered = "already_covered"  # 既に記載
    reference = "reference"  # 参考
    not_reflected = "not_reflected"  # 反映しない (with the reason)
    answered = "answered"  # 回答 (a question)


class Response(db.Model):
    """The city's view (市の考え方) of one item, or of one same-purport group: exactly one of the two."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint("(item_id IS NULL) <> (group_id IS NULL)", name="item_or_group"),
        UniqueConstraint("item_id", name="uq_responses_item_id"),
        UniqueConstraint("group_id", name="uq_responses_group_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("same_purport_groups.id"))
    state: Mapped[ResponseState] = mapped_column(
        enum_column(ResponseState, "response_state"), default=ResponseState.drafting
    )
    # The latest revision's content, kept here for lists and the packet; revisions hold the history.
    body: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[ResponseCategory | None] = mapped_column(enum_column(ResponseCategory, "response_category"))
    change_made: Mapped[str] = mapped_column(Text, default="")  # the change to the draft when reflected
    last_author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    item = relationship("Item")
    group = relationship("SamePurportGroup")
    revisions: Mapped[list[ResponseRevision]] = relationship(
        back_populates="response", order_by="ResponseRevision.number"
    )

    def is_author(self, user) -> bool:
        """Whether ``user`` wrote any revision: such a user may not approve it (R25), whoever wrote last."""
        return any(revision.author_id == user.id for revision in self.revisions)


class ResponseRevision(db.Model):
    """Every save of a response, kept: who wrote what, when (a diff is made between two of these)."""

    __tablename__ = "response_revisions"
    __table_args__ = (UniqueConstraint("response_id", "number", name="uq_response_revisions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    number: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[ResponseCategory | None] = mapped_column(enum_column(ResponseCategory, "response_category"))
    change_made: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    response: Mapped[Response] = relationship(back_populates="revisions")


class ReviewComment(db.Model):
    """A reviewer's remark on a response in review."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class ResponseTemplate(db.Model):
    """A reusable response of a consultation (e.g. "already covered in section ...")."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[ResponseCategory | None] = mapped_column(enum_column(ResponseCategory, "response_category"))
