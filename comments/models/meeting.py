"""Committee meetings (部会 and 審議会) as the committee holds them: agenda, papers, attendance, minutes with
non-disclosed parts, the committee's main opinions and their answers, and the report to the council."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime, enum_column

meeting_consultations = Table(
    "meeting_consultations",
    db.metadata,
    Column("meeting_id", Integer, ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    Column("consultation_id", Integer, ForeignKey("consultations.id"), primary_key=True),
)


class MeetingBody(enum.StrEnum):
    """Who meets: the sub-committee (保護評価部会) that inspects, or its parent council (審議会)."""

    sub_committee = "sub_committee"
    council = "council"


class Meeting(db.Model):
    """A committee meeting (部会) whose inspection packet covers its consultations."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date]
    final_packet_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    body: Mapped[MeetingBody] = mapped_column(
        enum_column(MeetingBody, "meeting_body"),
        default=MeetingBody.sub_committee,
        server_default=MeetingBody.sub_committee.value,
    )
    # 第N回: the body's own count of its meetings; None for a meeting entered before numbers were kept.
    number: Mapped[int | None]
    # Wall-clock times in Japan on ``held_on`` (午後6時～午後7時20分), as the notice prints them.
    starts_at: Mapped[time | None]
    ends_at: Mapped[time | None]
    place: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # 公開/非公開: whether the public may attend (傍聴); the minutes are published either way.
    open_to_public: Mapped[bool] = mapped_column(default=True, server_default=true())
    # When the notice of the meeting (開催通知) was sent to the members; None until then.
    notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    consultations = relationship("Consultation", secondary=meeting_consultations, order_by="Consultation.id")
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )
    papers: Mapped[list[MeetingPaper]] = relationship(
        back_populates="meeting", order_by="MeetingPaper.position", cascade="all, delete-orphan"
    )
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", order_by="Attendance.user_id", cascade="all, delete-orphan"
    )


class AgendaItem(db.Model):
    """One item of business (議事): 「全項目評価書の第三者点検について」, tied to a consultation where it applies."""

    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "position", name="uq_agenda_items_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items")
    consultation = relationship("Consultation")


class MeetingPaper(db.Model):
    """A paper (資料) handed out at a meeting: a file (uploaded, or a consultation's material reused by its
    content address) or the text of an outside body's answer (an inquiry's, often confidential).

    A non-public paper reaches the members and the secretariat only, never a public page."""

    __tablename__ = "meeting_papers"
    __table_args__ = (UniqueConstraint("meeting_id", "position", name="uq_meeting_papers_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id", ondelete="SET NULL"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(40), default="", server_default="")  # 資料1, 参考資料2 ...
    title: Mapped[str] = mapped_column(String(300))
    public: Mapped[bool] = mapped_column(default=True)
    # The file, when the paper is one: content-addressed, so a reused material is not stored twice.
    filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Where it came from, when reused: a consultation's material, or an inquiry whose answer it carries.
    material_id: Mapped[int | None] = mapped_column(ForeignKey("materials.id", ondelete="SET NULL"))
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("inquiries.id", ondelete="SET NULL"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="papers")
    agenda_item: Mapped[AgendaItem | None] = relationship()
    material = relationship("Material")
    inquiry = relationship("Inquiry")


class Attendance(db.Model):
    """Whether a committee member attended (出席) or not (欠席); an absent member is briefed afterwards
    (``briefed_on``) and may send questions by the same deadline as those present."""

    __tablename__ = "meeting_attendance"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool]
    briefed_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="", server_default="")

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    user = relationship("User")


class MinutesState(enum.StrEnum):
    """drafting → circulating (the draft is with the members for comment) → finalised (by the chair) →
    published (the public version is out)."""

    drafting = "drafting"
    circulating = "circulating"
    finalised = "finalised"
    published = "published"


class Minutes(db.Model):
    """The minutes (議事録) of one meeting; the text lives in its versions, every one kept."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    state: Mapped[MinutesState] = mapped_column(
        enum_column(MinutesState, "minutes_state"), default=MinutesState.drafting
    )
    # The members' comments on a circulated draft are due by the end of this day (Japan time).
    comment_deadline: Mapped[date | None]
    circulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship()
    versions: Mapped[list[MinutesVersion]] = relationship(
        back_populates="minutes", order_by="MinutesVersion.number", cascade="all, delete-orphan"
    )
    comments: Mapped[list[MinutesComment]] = relationship(
        back_populates="minutes", order_by="MinutesComment.id", cascade="all, delete-orphan"
    )


class MinutesVersion(db.Model):
    """One version of the minutes' text, in the markup of comments/domain/minutes_text.py (speakers' turns,
    non-disclosed passages with their grounds). Never changed once written: a revision is a new version."""

    __tablename__ = "minutes_versions"
    __table_args__ = (UniqueConstraint("minutes_id", "number", name="uq_minutes_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # what changed, and why
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    minutes: Mapped[Minutes] = relationship(back_populates="versions")


class MinutesComment(db.Model):
    """A member's comment on a circulated draft of the minutes."""

    __tablename__ = "minutes_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_versions.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    minutes: Mapped[Minutes] = relationship(back_populates="comments")
    version: Mapped[MinutesVersion] = relationship()
    author = relationship("User")


class OpinionState(enum.StrEnum):
    """open (recorded, no answer yet) → answered, or carried (次回以降) to a later meeting and answered there."""

    open = "open"
    answered = "answered"
    carried = "carried"


class CommitteeOpinion(db.Model):
    """One of the committee's main opinions at an inspection (第三者点検における主な意見) and the city's answer,
    given at once or carried to a named later meeting, whose packet then lists it until it is answered."""

    __tablename__ = "committee_opinions"
    __table_args__ = (UniqueConstraint("meeting_id", "number", name="uq_committee_opinions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultations.id"), index=True)
    number: Mapped[int]  # 主な意見（1）, （2） ...
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[OpinionState] = mapped_column(enum_column(OpinionState, "opinion_state"), default=OpinionState.open)
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The meeting where the answer was given: this one, or the later one it was carried to.
    answered_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    carried_to_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    meeting: Mapped[Meeting] = relationship(foreign_keys=[meeting_id])
    consultation = relationship("Consultation")
    answered_meeting: Mapped[Meeting | None] = relationship(foreign_keys=[answered_meeting_id])
    carried_to_meeting: Mapped[Meeting | None] = relationship(foreign_keys=[carried_to_meeting_id])


class CouncilReportState(enum.StrEnum):
    draft = "draft"
    approved = "approved"


class CouncilReport(db.Model):
    """The sub-committee's report to the council (報告書案 / 答申案) on one consultation: assembled from the
    consultation, the inspection's opinions and answers and the comment results, edited, approved by the chair."""

    __tablename__ = "council_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), unique=True)
    # The council meeting it goes to, once known.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    title: Mapped[str] = mapped_column(String(300))
    addressee: Mapped[str] = mapped_column(String(200))
    dated_on: Mapped[date | None]
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[CouncilReportState] = mapped_column(
        enum_column(CouncilReportState, "council_report_state"), default=CouncilReportState.draft
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    consultation = relationship("Consultation")
    meeting: Mapped[Meeting | None] = relationship()
