"""Who attended a meeting (出席) and who did not (欠席). An absent member is briefed afterwards (``briefed_on``)
and may send questions by the same deadline as those present: the portal offers them the papers and that
deadline (comments/blueprints/committee/meetings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.committee import committee_members
from comments.domain.meetings import meeting_consultations
from comments.extensions import db
from comments.models import Attendance, Consultation, Meeting, User


class AttendanceError(DomainError):
    """The attendance cannot be recorded as asked."""


@dataclass(frozen=True)
class AttendanceEntry:
    """One member's line: present (True), absent (False) or not known yet (None)."""

    user_id: int
    present: bool | None
    briefed_on: date | None = None
    note: str = ""


def record_attendance(meeting: Meeting, entries: list[AttendanceEntry], *, actor: Actor) -> None:
    """Record each committee member's attendance; a member marked "not known" has no line. A briefing date
    is for an absent member only, on or after the day of the meeting."""
    members = {member.id for member in committee_members()}
    kept = {row.user_id: row for row in meeting.attendance}
    for entry in entries:
        if entry.user_id not in members:
            raise AttendanceError(_l("Only the committee's members have an attendance."))
        field = f"briefed_on_{entry.user_id}"
        if entry.briefed_on is not None and entry.present is not False:
            raise AttendanceError(_l("Only an absent member is briefed afterwards."), field=field)
        if entry.briefed_on is not None and entry.briefed_on < meeting.held_on:
            raise AttendanceError(_l("The briefing comes on or after the day of the meeting."), field=field)
        row = kept.get(entry.user_id)
        if entry.present is None:
            if row is not None:
                meeting.attendance.remove(row)
            continue
        if row is None:
            row = Attendance(user_id=entry.user_id, present=entry.present)
            meeting.attendance.append(row)
        row.present = entry.present
        row.briefed_on = entry.briefed_on
        row.note = (entry.note or "").strip()[:1000]
    db.session.flush()
    record_event(
        actor,
        "meeting.attendance_recorded",
        meeting,
        present=sorted(row.user_id for row in meeting.attendance if row.present),
        absent=sorted(row.user_id for row in meeting.attendance if not row.present),
    )


@dataclass(frozen=True)
class Absence:
    """A meeting the member missed, with what they may still do: the consultations it dealt with, each with
    its deadline for questions (the same as for the members present)."""

    meeting: Meeting
    attendance: Attendance
    consultations: list[Consultation]


def absences_of(user: User, *, under_inspection: tuple) -> list[Absence]:
    """The meetings ``user`` missed whose consultations are still under inspection (questions still open
    to them), latest first."""
    rows = db.session.scalars(
        select(Attendance)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(Attendance.user_id == user.id, Attendance.present.is_(False))
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
    )
    found = []
    for row in rows:
        consultations = [c for c in meeting_consultations(row.meeting) if c.status in under_inspection]
        if consultations:
            found.append(Absence(meeting=row.meeting, attendance=row, consultations=consultations))
    return found


def attendance_of(meeting: Meeting, user: User) -> Attendance | None:
    """The member's line for the meeting, if one is recorded."""
    return next((row for row in meeting.attendance if row.user_id == user.id), None)
