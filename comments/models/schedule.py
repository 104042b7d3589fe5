"""The assessment's schedule: the steps one consultation goes through, from the pre-inspection meeting to the
publication of the final assessment (the seed's ①-⑨), each planned, then done."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime, enum_column


class StepKind(enum.StrEnum):
    """The steps in the order they happen (the order of this enum is the schedule's order)."""

    pre_inspection = "pre_inspection"  # 事前点検 (a sub-committee meeting)
    comment_period = "comment_period"  # 市民意見聴取 (the comment period)
    inspection = "inspection"  # 第三者点検 (a sub-committee meeting)
    council_report = "council_report"  # 審議会への報告・答申
    submission = "submission"  # 個人情報保護委員会への提出
    publication = "publication"  # 評価書の公表


class StepState(enum.StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"


class ConsultationStep(db.Model):
    """One step of a consultation's schedule: a planned date, the actual date once done, its state, and the
    meeting where it happens (for the meeting steps)."""

    __tablename__ = "consultation_steps"
    __table_args__ = (UniqueConstraint("consultation_id", "kind", name="uq_consultation_steps_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind, "step_kind"))
    state: Mapped[StepState] = mapped_column(enum_column(StepState, "step_state"), default=StepState.planned)
    planned_on: Mapped[date | None]
    done_on: Mapped[date | None]
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    # Shown on the consultation's public page; the secretariat may keep a step internal.
    public: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the secretariat was told the step slipped past its planned date, so it is told once.
    slip_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    consultation = relationship("Consultation")
    meeting = relationship("Meeting")

    def slipped(self, today: date) -> bool:
        """Whether the step is not done although its planned date has passed."""
        return self.state != StepState.done and self.planned_on is not None and self.planned_on < today
