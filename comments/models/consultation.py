"""A consultation: the draft assessment put out for comment, its sections and its materials."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime, enum_column


class ConsultationStatus(enum.StrEnum):
    """The lifecycle of the design: draft → open → closed → responding → inspected → published → archived."""

    draft = "draft"
    open = "open"
    closed = "closed"
    responding = "responding"
    inspected = "inspected"
    published = "published"
    archived = "archived"


class PostalRule(enum.StrEnum):
    """Which date counts for post: the postmark (消印有効) or the arrival (必着)."""

    postmark = "postmark"
    arrival = "arrival"


class MaterialKind(enum.StrEnum):
    original = "original"  # the original PDF of the draft assessment
    reference = "reference"  # any other material (資料)


class Consultation(db.Model):
    __tablename__ = "consultations"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="period_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    affair: Mapped[str] = mapped_column(String(200))
    system_name: Mapped[str] = mapped_column(String(200), default="")
    # The department (実施機関) that owns the affair: its staff read the consultation's submissions (R26).
    # Always set by the domain; nullable only because SQLite cannot add a NOT NULL column to a table that
    # other tables point at without copying it (see the migration).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    evaluation_group: Mapped[str] = mapped_column(String(100), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ConsultationStatus] = mapped_column(
        enum_column(ConsultationStatus, "consultation_status"), default=ConsultationStatus.draft
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 特段の理由: why the period is shorter than 30 days; shown on the public page (R01).
    shortening_reason: Mapped[str | None] = mapped_column(Text)
    # When the results (意見と市の考え方) were published; who did it is in the audit trail.
    results_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The committee's inspection (第三者点検) that moved the consultation to "inspected": the meeting, its
    # day and what the committee concluded, as the secretariat recorded it.
    inspection_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    inspected_on: Mapped[date | None]
    inspection_outcome: Mapped[str] = mapped_column(Text, default="", server_default="")
    # How many days after the results are published the submitters' contact data is kept (R46); the public
    # notice says so, and `flask purge` deletes it then.
    contact_retention_days: Mapped[int] = mapped_column(default=365, server_default="365")
    # When that deletion was made; None until then.
    contact_data_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The consultation's policy on the submitter's personal data; both optional by default.
    require_name: Mapped[bool] = mapped_column(default=False)
    require_contact: Mapped[bool] = mapped_column(default=False)
    postal_rule: Mapped[PostalRule] = mapped_column(
        enum_column(PostalRule, "postal_rule"), default=PostalRule.arrival, server_default=PostalRule.arrival.value
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    department = relationship("Department")
    sections: Mapped[list[Section]] = relationship(
        back_populates="consultation", order_by="Section.position", cascade="all, delete-orphan"
    )
    materials: Mapped[list[Material]] = relationship(
        back_populates="consultation", order_by="Material.id", cascade="all, delete-orphan"
    )
    extensions: Mapped[list[DeadlineExtension]] = relationship(
        back_populates="consultation", order_by="DeadlineExtension.id", cascade="all, delete-orphan"
    )

    @property
    def contact_data_deleted_on(self) -> datetime | None:
        """The instant the submitters' contact data is to be deleted; None until the results are published."""
        if self.results_published_at is None:
            return None
        return self.results_published_at + timedelta(days=self.contact_retention_days)

    @property
    def department_name(self) -> str:
        return self.department.name if self.department is not None else ""

    @property
    def public_materials(self) -> list[Material]:
        return [m for m in self.materials if m.public]

    def is_listed(self) -> bool:
        """Whether the public may see this consultation at all (drafts stay with the staff)."""
        return self.status != ConsultationStatus.draft


class Section(db.Model):
    """One section of the draft assessment, as published."""

    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("consultation_id", "position", name="uq_sections_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    number: Mapped[str] = mapped_column(String(40))
    heading: Mapped[str] = mapped_column(String(300))
    page: Mapped[int | None]
    body: Mapped[str] = mapped_column(Text, default="")

    consultation: Mapped[Consultation] = relationship(back_populates="sections")

    @property
    def anchor(self) -> str:
        return f"section-{self.position}"


class Material(db.Model):
    """A document attached to a consultation: the original PDF or another 資料, public or committee-only."""

    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MaterialKind] = mapped_column(enum_column(MaterialKind, "material_kind"))
    title: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    public: Mapped[bool] = mapped_column(default=True)

    consultation: Mapped[Consultation] = relationship(back_populates="materials")


class DeadlineExtension(db.Model):
    """A deadline moved later (R54): shown on the public page with the old and new dates."""

    __tablename__ = "deadline_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    old_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    new_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    extended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    extended_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    consultation: Mapped[Consultation] = relationship(back_populates="extensions")
