"""Committee meetings (部会) and the record of every packet that leaves the system."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from comments import clock
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, Meeting


class MeetingError(DomainError):
    """A meeting cannot be made as asked."""


def create_meeting(title: str, held_on: date, consultations: list[Consultation], *, actor: Actor) -> Meeting:
    """A committee meeting on ``held_on`` whose packet covers ``consultations`` (none of them a draft:
    a draft was never put out for comment, so it has nothing to inspect)."""
    title = (title or "").strip()
    if not title:
        raise MeetingError(_l("Give the meeting a title."), field="title")
    if not consultations:
        raise MeetingError(_l("Choose the consultations the meeting inspects."), field="consultations")
    if any(consultation.status == ConsultationStatus.draft for consultation in consultations):
        raise MeetingError(_l("A consultation still in draft cannot go to a meeting."), field="consultations")
    meeting = Meeting(title=title, held_on=held_on)
    meeting.consultations.extend(sorted({c.id: c for c in consultations}.values(), key=lambda c: c.id))
    db.session.add(meeting)
    db.session.flush()
    record_event(
        actor, "meeting.created", meeting, consultations=sorted(consultation.id for consultation in consultations)
    )
    return meeting


def record_packet_export(meeting: Meeting, *, fmt: str, final: bool, draft: bool, actor: Actor) -> None:
    """Record that the packet left the system as ``fmt`` (a download, or the print page): exports are
    logged (style rule 11). ``final`` says the final packet was asked for, and is stamped on the meeting;
    ``draft`` whether what left was still a draft."""
    if final:
        meeting.final_packet_at = clock.now()
        db.session.flush()
    record_event(actor, "packet.exported", meeting, format=fmt, final=final, draft=draft)
