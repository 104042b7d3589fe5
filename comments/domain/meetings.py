"""Committee meetings (部会 and 審議会) as the committee holds them, their notice, and the record of every
packet that leaves the system.

A meeting has its body (the sub-committee, 特定個人情報保護評価部会, or its parent council, 情報公開・個人情報
保護審議会), its number (第N回), day, times (Japan wall clock, as the notice prints them), place, and whether
the public may attend. A sub-committee meeting inspects consultations, so it needs at least one; a council
meeting receives the sub-committee's report and may have none (its agenda names what it hears).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.domain.committee import committee_members
from comments.domain.notifications import notify
from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, Meeting, MeetingBody

# The name each body gives its meetings, for a title left empty: 「第3回 特定個人情報保護評価部会」.
BODY_NAMES = {
    MeetingBody.sub_committee: "特定個人情報保護評価部会",
    MeetingBody.council: "情報公開・個人情報保護審議会",
}


class MeetingError(DomainError):
    """A meeting cannot be made as asked."""


@dataclass(frozen=True)
class MeetingDetails:
    """What the notice of a meeting says besides its title and day."""

    body: MeetingBody = MeetingBody.sub_committee
    number: int | None = None
    starts_at: time | None = None
    ends_at: time | None = None
    place: str = ""
    open_to_public: bool = True


def default_title(body: MeetingBody, number: int) -> str:
    """The title the city gives a meeting: 「第3回 特定個人情報保護評価部会」."""
    return f"第{number}回 {BODY_NAMES[body]}"


def _checked(
    title: str, consultations: list[Consultation], details: MeetingDetails, *, meeting: Meeting | None = None
) -> str:
    """The title to keep (composed from the number when left empty); refuses what the notice cannot say."""
    if details.number is not None and details.number < 1:
        raise MeetingError(_l("The number of the meeting is a whole number from 1."), field="number")
    title = (title or "").strip()
    if not title:
        if details.number is None:
            raise MeetingError(
                _l("Give the meeting a title, or its number so that the title can be made from it."), field="title"
            )
        title = default_title(details.body, details.number)
    if details.ends_at is not None and details.starts_at is None:
        raise MeetingError(_l("Enter the starting time as well as the ending time."), field="starts_at")
    if details.starts_at is not None and details.ends_at is not None and details.ends_at <= details.starts_at:
        raise MeetingError(_l("The meeting must end after it starts."), field="ends_at")
    if details.body == MeetingBody.sub_committee and not consultations:
        raise MeetingError(_l("Choose the consultations the meeting inspects."), field="consultations")
    if any(consultation.status == ConsultationStatus.draft for consultation in consultations):
        raise MeetingError(_l("A consultation still in draft cannot go to a meeting."), field="consultations")
    if details.number is not None:
        same = select(Meeting.id).where(Meeting.body == details.body, Meeting.number == details.number)
        if meeting is not None:
            same = same.where(Meeting.id != meeting.id)
        if db.session.scalar(same.limit(1)) is not None:
            raise MeetingError(_l("A meeting of that body with that number already exists."), field="number")
    return title


def _apply(meeting: Meeting, title: str, held_on: date, consultations: list[Consultation], details: MeetingDetails):
    meeting.title = title[:300]
    meeting.held_on = held_on
    meeting.body = details.body
    meeting.number = details.number
    meeting.starts_at = details.starts_at
    meeting.ends_at = details.ends_at
    meeting.place = (details.place or "").strip()[:300]
    meeting.open_to_public = details.open_to_public
    meeting.consultations[:] = sorted({c.id: c for c in consultations}.values(), key=lambda c: c.id)


def _described(meeting: Meeting) -> dict:
    return {
        "body": meeting.body.value,
        "number": meeting.number,
        "held_on": meeting.held_on.isoformat(),
        "starts_at": meeting.starts_at.isoformat() if meeting.starts_at else None,
        "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
        "open_to_public": meeting.open_to_public,
        "consultations": sorted(consultation.id for consultation in meeting.consultations),
    }


def create_meeting(
    title: str,
    held_on: date,
    consultations: list[Consultation],
    *,
    actor: Actor,
    details: MeetingDetails | None = None,
) -> Meeting:
    """A meeting on ``held_on``; a sub-committee meeting's packet covers ``consultations`` (at least one, none
    of them a draft: a draft was never put out for comment, so it has nothing to inspect). A title left
    empty is made from the number: 「第N回 特定個人情報保護評価部会」."""
    details = details or MeetingDetails()
    title = _checked(title, consultations, details)
    meeting = Meeting(title=title, held_on=held_on)
    _apply(meeting, title, held_on, consultations, details)
    db.session.add(meeting)
    db.session.flush()
    record_event(actor, "meeting.created", meeting, **_described(meeting))
    return meeting


def update_meeting(
    meeting: Meeting,
    title: str,
    held_on: date,
    consultations: list[Consultation],
    *,
    details: MeetingDetails,
    actor: Actor,
) -> Meeting:
    """Change what the notice of the meeting says (same rules as ``create_meeting``)."""
    title = _checked(title, consultations, details, meeting=meeting)
    _apply(meeting, title, held_on, consultations, details)
    db.session.flush()
    record_event(actor, "meeting.updated", meeting, **_described(meeting))
    return meeting


def meeting_consultations(meeting: Meeting) -> list[Consultation]:
    """The consultations a meeting deals with: those its packet covers and those its agenda items name."""
    found: dict[int, Consultation] = {c.id: c for c in meeting.consultations}
    for item in meeting.agenda_items:
        if item.consultation is not None:
            found.setdefault(item.consultation.id, item.consultation)
    return sorted(found.values(), key=lambda c: c.id)


def send_meeting_notice(meeting: Meeting, *, link: str, actor: Actor, members: Iterable | None = None) -> int:
    """Send the notice of the meeting (開催通知) to the committee's members (a notification each, ``link`` to
    the meeting on their portal) and stamp when. Sent again after a change, it notifies them again. A meeting
    already held gets no notice. Returns how many members were notified."""
    if meeting.held_on < clock.japan_today():
        raise MeetingError(_l("The meeting has already been held: no notice can be sent for it."))
    meeting.notice_sent_at = clock.now()
    made = notify(
        committee_members() if members is None else members,
        "meeting.notice",
        params={"meeting": meeting.title},
        link=link,
    )
    db.session.flush()
    record_event(actor, "meeting.notice_sent", meeting, notified=len(made))
    return len(made)


def record_packet_export(meeting: Meeting, *, fmt: str, final: bool, draft: bool, actor: Actor) -> None:
    """Record that the packet left the system as ``fmt`` (a download, or the print page): exports are
    logged (style rule 11). ``final`` says the final packet was asked for, and is stamped on the meeting;
    ``draft`` whether what left was still a draft."""
    if final:
        meeting.final_packet_at = clock.now()
        db.session.flush()
    record_event(actor, "packet.exported", meeting, format=fmt, final=final, draft=draft)
