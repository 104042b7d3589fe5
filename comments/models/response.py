"""From submissions to responses: items, same-purport groups, inquiries to outside bodies, responses with
their revisions and reviews, templates, and the meetings whose packets they fill (issue 5)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime, enum_column


class ItemKind(enum.StrEnum):
    opinion = "opinion"  # 意見
    question = "question"  # 質問
    request = "request"  # 要望


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


inquiry_items = Table(
    "inquiry_items",
    db.metadata,
    Column("inquiry_id", Integer, ForeignKey("inquiries.id", ondelete="CASCADE"), primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
)


class Inquiry(db.Model):
    """A question forwarded to an outside body (the ministry, J-LIS, the regional union) and its answer."""

    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    body_name: Mapped[str] = mapped_column(String(200))  # 総務省, J-LIS, 広域連合 ...
    question: Mapped[str] = mapped_column(Text)
    sent_on: Mapped[date]
    sent_how: Mapped[str] = mapped_column(String(100))  # e-mail, letter, telephone ...
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_on: Mapped[date | None]
    # Whether the answer may be published; some answers from the ministry are confidential.
    answer_public: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    items: Mapped[list[Item]] = relationship(secondary=inquiry_items, order_by="Item.number")


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
