"""The committee's main opinions at an inspection (第三者点検における主な意見) and the city's answers.

The secretariat records each opinion at the meeting where it was raised, numbered per meeting as the
minutes number them (主な意見（1）, （2） ...), for one of that meeting's consultations. The city answers it
there, or carries it (次回以降の部会で説明) to a named later meeting: the packet of that meeting then lists it
under 「前回からの継続事項」 until it is closed there with its answer. A carried opinion may be carried on again
from the meeting it was carried to. Every action is audited with numbers and ids, never the text.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from comments import clock
from comments.dates import calendar_day
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import CommitteeOpinion, Consultation, Meeting, OpinionState

# An opinion or an answer is a paragraph or a few; a page's worth is a paste gone wrong.
MAX_TEXT_CHARS = 4000


class OpinionError(DomainError):
    """An opinion cannot be recorded, answered or carried as asked."""


def _text(value: str | None, *, field: str, missing) -> str:
    text = (value or "").strip()
    if not text:
        raise OpinionError(missing, field=field)
    if len(text) > MAX_TEXT_CHARS:
        raise OpinionError(
            _l("At most %(count)d characters; shorten the text.", count=MAX_TEXT_CHARS),
            field=field,
        )
    return text


def opinions_raised_at(meeting: Meeting) -> list[CommitteeOpinion]:
    """The opinions raised at ``meeting``, by number."""
    return list(
        db.session.scalars(
            select(CommitteeOpinion).where(CommitteeOpinion.meeting_id == meeting.id).order_by(CommitteeOpinion.number)
        )
    )


def opinions_carried_to(meeting: Meeting) -> list[CommitteeOpinion]:
    """The opinions carried to ``meeting`` from earlier ones: those still waiting for their answer there, and
    those closed there; by the meeting they were raised at, then number."""
    return list(
        db.session.scalars(
            select(CommitteeOpinion)
            .join(Meeting, Meeting.id == CommitteeOpinion.meeting_id)
            .where(
                or_(
                    (CommitteeOpinion.carried_to_meeting_id == meeting.id)
                    & (CommitteeOpinion.state == OpinionState.carried),
                    (CommitteeOpinion.answered_meeting_id == meeting.id) & (CommitteeOpinion.meeting_id != meeting.id),
                )
            )
            .order_by(Meeting.held_on, Meeting.id, CommitteeOpinion.number)
        )
    )


def opinions_about(consultation: Consultation) -> list[CommitteeOpinion]:
    """Every opinion the committee raised about ``consultation``, by meeting date, then number."""
    return list(
        db.session.scalars(
            select(CommitteeOpinion)
            .join(Meeting, Meeting.id == CommitteeOpinion.meeting_id)
            .where(CommitteeOpinion.consultation_id == consultation.id)
            .order_by(Meeting.held_on, Meeting.id, CommitteeOpinion.number)
        )
    )


def record_opinion(meeting: Meeting, consultation: Consultation, body: str, *, actor: Actor) -> CommitteeOpinion:
    """Record one of the committee's main opinions raised at ``meeting`` about ``consultation`` (one of the
    meeting's consultations), numbered next at that meeting; it waits for the city's answer."""
    if consultation not in meeting.consultations:
        raise OpinionError(_l("Choose one of the consultations this meeting inspects."), field="consultation_id")
    body = _text(body, field="body", missing=_l("Write the committee's opinion."))
    number = (
        db.session.scalar(select(func.max(CommitteeOpinion.number)).where(CommitteeOpinion.meeting_id == meeting.id))
        or 0
    ) + 1
    opinion = CommitteeOpinion(
        meeting_id=meeting.id,
        consultation_id=consultation.id,
        number=number,
        body=body,
        state=OpinionState.open,
    )
    db.session.add(opinion)
    db.session.flush()
    record_event(actor, "opinion.recorded", opinion, meeting=meeting.id, consultation=consultation.id, number=number)
    return opinion


def answer_opinion(opinion: CommitteeOpinion, answer: str, *, actor: Actor) -> None:
    """The city's answer given at the meeting where the opinion was raised."""
    if opinion.state != OpinionState.open:
        raise OpinionError(
            _l(
                "This opinion is no longer waiting for an answer at its own meeting: it was answered or carried to a "
                "later meeting, and is closed there."
            ),
            field="answer",
        )
    opinion.answer = _text(answer, field="answer", missing=_l("Write the city's answer."))
    opinion.state = OpinionState.answered
    opinion.answered_at = clock.now()
    opinion.answered_meeting_id = opinion.meeting_id
    db.session.flush()
    record_event(actor, "opinion.answered", opinion, meeting=opinion.meeting_id, number=opinion.number)


def _held_after(later: Meeting, earlier: Meeting) -> bool:
    """Whether ``later`` is held after ``earlier``: on a later day, or on the same day starting later (the next
    meeting may follow the council right after it adjourns), when both start times are known."""
    if later.held_on != earlier.held_on:
        return later.held_on > earlier.held_on
    return later.starts_at is not None and earlier.starts_at is not None and later.starts_at > earlier.starts_at


def carry_opinion(opinion: CommitteeOpinion, to_meeting: Meeting | None, *, actor: Actor) -> None:
    """Carry the opinion to ``to_meeting`` (次回以降の部会で説明), which must be held after the meeting it now
    stands at: the one it was raised at, or the one it was already carried to."""
    if opinion.state == OpinionState.answered:
        raise OpinionError(_l("This opinion is already answered; there is nothing to carry."), field="meeting_id")
    if to_meeting is None:
        raise OpinionError(_l("Choose the later meeting where the city will answer."), field="meeting_id")
    current = opinion.carried_to_meeting if opinion.state == OpinionState.carried else opinion.meeting
    if not _held_after(to_meeting, current):
        raise OpinionError(
            _l(
                "“%(meeting)s” (%(date)s) is not held after “%(current)s” (%(current_date)s). Carry the opinion to "
                "a meeting held later, or create that meeting first.",
                meeting=to_meeting.title,
                date=calendar_day(to_meeting.held_on),
                current=current.title,
                current_date=calendar_day(current.held_on),
            ),
            field="meeting_id",
        )
    previous = opinion.carried_to_meeting_id
    opinion.state = OpinionState.carried
    opinion.carried_to_meeting_id = to_meeting.id
    db.session.flush()
    record_event(
        actor,
        "opinion.carried",
        opinion,
        meeting=opinion.meeting_id,
        number=opinion.number,
        to_meeting=to_meeting.id,
        from_meeting=previous,
    )


def close_opinion(opinion: CommitteeOpinion, meeting: Meeting, answer: str, *, actor: Actor) -> None:
    """Close a carried opinion with the city's answer given at ``meeting``, the meeting it was carried to."""
    if opinion.state != OpinionState.carried or opinion.carried_to_meeting_id != meeting.id:
        raise OpinionError(
            _l("This opinion is not waiting for an answer at this meeting; close it at the meeting it was carried to."),
            field="answer",
        )
    opinion.answer = _text(answer, field="answer", missing=_l("Write the city's answer."))
    opinion.state = OpinionState.answered
    opinion.answered_at = clock.now()
    opinion.answered_meeting_id = meeting.id
    db.session.flush()
    record_event(
        actor, "opinion.closed", opinion, meeting=meeting.id, raised_at=opinion.meeting_id, number=opinion.number
    )


def later_meetings(opinion: CommitteeOpinion) -> list[Meeting]:
    """The meetings an opinion may be carried to: those held after the meeting it now stands at, soonest first."""
    current = opinion.carried_to_meeting if opinion.state == OpinionState.carried else opinion.meeting
    candidates = db.session.scalars(
        select(Meeting)
        .where(Meeting.held_on >= current.held_on, Meeting.id != current.id)
        .order_by(Meeting.held_on, Meeting.id)
    )
    return [meeting for meeting in candidates if _held_after(meeting, current)]
