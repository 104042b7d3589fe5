"""The assessment's schedule (the seed's ①-⑨): each consultation's steps, planned and then done.

Every consultation has one step of each ``StepKind``; ``steps_of`` makes the missing ones, so a consultation
made before schedules existed gets its steps the first time they are looked at (``schedule_of`` shows them
without writing, for the pages that only read). The steps that belong to a state of the consultation (the
comment period, the inspection) are stamped by the functions that move the state
(comments/domain/consultations.py) and never by hand, so the schedule and the consultation's state cannot
disagree; the others by what does them (a meeting, the report to the council) or by the secretariat
(``update_step``).

The link runs both ways where it is safe: publishing a consultation starts its comment-period step (planned
for the last day for opinions unless the secretariat planned it already), extending the deadline moves that
plan, closing it marks the step done on the last day of the period, and recording the inspection marks the
inspection step done on the meeting's day, with the meeting. The other way, marking the publication of the
final assessment (評価書の公表) done archives a consultation whose comment results are published: that is the
last step of the file. Publishing the comment results (意見と市の考え方) moves no step: it is not the
publication of the final assessment, which the city does once the national commission has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from comments import clock
from comments.clock import JAPAN
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, ConsultationStep, Meeting, StepKind, StepState

# The order of the schedule is the order of the enum.
STEP_ORDER: tuple[StepKind, ...] = tuple(StepKind)

# The steps that move with the consultation's state, and why they cannot be moved by hand: what the page
# shows next to them and what a refused change says.
STATE_BOUND_STEPS: dict[StepKind, object] = {
    StepKind.comment_period: _l(
        "The comment period starts when the consultation is published and is done when it is closed; its state "
        "and actual date are set by those actions on the consultation's page, not by hand."
    ),
    StepKind.inspection: _l(
        "The inspection is done when it is recorded on the consultation's page, with the meeting and its day; "
        "its state and actual date are set by that action, not by hand."
    ),
}


def steps_of(consultation: Consultation) -> list[ConsultationStep]:
    """The consultation's steps in the schedule's order, the missing ones made (planned, no dates)."""
    existing = {
        step.kind: step
        for step in db.session.scalars(
            select(ConsultationStep).where(ConsultationStep.consultation_id == consultation.id)
        )
    }
    for kind in STEP_ORDER:
        if kind not in existing:
            step = ConsultationStep(consultation_id=consultation.id, kind=kind, state=StepState.planned)
            db.session.add(step)
            existing[kind] = step
    db.session.flush()
    return [existing[kind] for kind in STEP_ORDER]


def step_of(consultation: Consultation, kind: StepKind) -> ConsultationStep:
    return next(step for step in steps_of(consultation) if step.kind == kind)


def stamp_step(
    consultation: Consultation,
    kind: StepKind,
    *,
    state: StepState = StepState.done,
    on: date | None = None,
    meeting: Meeting | None = None,
    actor: Actor,
) -> ConsultationStep:
    """Record that ``kind`` is now ``state`` (done on ``on``, Japan's today by default), at ``meeting`` when
    given; audited. Stamping a done step again moves its date; nothing else changes."""
    step = step_of(consultation, kind)
    step.state = state
    if state == StepState.done:
        step.done_on = on or clock.japan_today()
    if meeting is not None:
        step.meeting_id = meeting.id
    step.updated_at = clock.now()
    db.session.flush()
    record_event(
        actor,
        "schedule.step_stamped",
        consultation,
        step=kind.value,
        state=state.value,
        done_on=step.done_on.isoformat() if step.done_on else None,
        meeting=meeting.id if meeting is not None else None,
    )
    return step


def schedule_of(consultation: Consultation) -> list[ConsultationStep]:
    """The consultation's steps in the schedule's order, for a page that only reads: a step not made yet is
    shown as a new one (planned, no dates) without being written, so a GET never writes."""
    existing = {
        step.kind: step
        for step in db.session.scalars(
            select(ConsultationStep).where(ConsultationStep.consultation_id == consultation.id)
        )
    }
    return [
        existing.get(kind)
        or ConsultationStep(consultation_id=consultation.id, kind=kind, state=StepState.planned, public=True, note="")
        for kind in STEP_ORDER
    ]


def public_schedule(consultation: Consultation) -> list[ConsultationStep]:
    """The steps the public page shows: those the secretariat keeps public, or none at all while no public
    step has a date yet (a schedule of nothing but "not decided" tells a visitor nothing)."""
    steps = [step for step in schedule_of(consultation) if step.public]
    if not any(step.planned_on or step.done_on for step in steps):
        return []
    return steps


def last_day_of_period(consultation: Consultation) -> date:
    """The last day for opinions in Japan (the deadline is 24:00 of that day, stored as 00:00 of the next)."""
    return (consultation.closes_at - timedelta(microseconds=1)).astimezone(JAPAN).date()


def locked_fields(step: ConsultationStep) -> frozenset[str]:
    """What of ``step`` the secretariat may not change by hand: the state and actual date of a step that moves
    with the consultation's state, and the meeting of an inspection once recorded (it is the consultation's
    inspection meeting). Views leave these out of the form; ``update_step`` refuses a change to them."""
    if step.kind not in STATE_BOUND_STEPS:
        return frozenset()
    if step.kind == StepKind.inspection and step.state == StepState.done:
        return frozenset({"state", "done_on", "meeting"})
    return frozenset({"state", "done_on"})


@dataclass(frozen=True)
class StepChange:
    """What ``update_step`` did: the step, the names of the fields that changed, and whether marking the
    publication done archived the consultation."""

    step: ConsultationStep
    changed: list[str] = field(default_factory=list)
    archived: bool = False


def update_step(
    step: ConsultationStep,
    *,
    planned_on: date | None,
    done_on: date | None,
    state: StepState,
    public: bool,
    note: str,
    meeting: Meeting | None,
    actor: Actor,
) -> StepChange:
    """The secretariat's edit of one step: its planned day, actual day, state, meeting, whether the public
    sees it, and an internal note (never shown to the public or the committee); audited, with the names of
    the fields changed (not the note's text).

    A step is done on a day, and only a done step has one, never later than today in Japan. The state and
    actual date of the comment period and the inspection are refused here: they move with the consultation
    (``STATE_BOUND_STEPS``). Marking the publication of the final assessment done archives a consultation
    whose comment results are published (the file is then complete).
    """
    consultation = db.session.get(Consultation, step.consultation_id)
    locked = locked_fields(step)
    note = (note or "").strip()
    wanted = {
        "planned_on": planned_on,
        "done_on": done_on,
        "state": state,
        "public": bool(public),
        "note": note,
        "meeting": meeting.id if meeting is not None else None,
    }
    current = {
        "planned_on": step.planned_on,
        "done_on": step.done_on,
        "state": step.state,
        "public": step.public,
        "note": step.note or "",
        "meeting": step.meeting_id,
    }
    changed = [name for name, value in wanted.items() if current[name] != value]
    refused = [name for name in changed if name in locked]
    if refused:
        if refused == ["meeting"]:
            raise DomainError(
                _l(
                    "The inspection was recorded at its meeting; that meeting stays the step's meeting. "
                    "Leave the meeting as it is."
                ),
                field="meeting",
            )
        raise DomainError(STATE_BOUND_STEPS[step.kind], field="state" if "state" in refused else refused[0])
    if "state" not in locked:
        if state == StepState.done and done_on is None:
            raise DomainError(_l("Enter the day the step was done, or choose another state."), field="done_on")
        if state != StepState.done and done_on is not None:
            raise DomainError(
                _l("Only a done step has an actual date: choose “done”, or clear the actual date."),
                field="done_on",
            )
        if done_on is not None and done_on > clock.japan_today():
            raise DomainError(
                _l("The actual date cannot be later than today; put a day still to come in the planned date."),
                field="done_on",
            )
    if not changed:
        return StepChange(step)
    step.planned_on = planned_on
    step.done_on = done_on
    step.state = state
    step.public = bool(public)
    step.note = note
    step.meeting_id = wanted["meeting"]
    step.updated_at = clock.now()
    db.session.flush()
    record_event(
        actor,
        "schedule.step_updated",
        consultation,
        step=step.kind.value,
        fields=sorted(changed),
        state=state.value,
        planned_on=planned_on.isoformat() if planned_on else None,
        done_on=done_on.isoformat() if done_on else None,
        public=bool(public),
        meeting=wanted["meeting"],
    )
    archived = False
    if (
        step.kind == StepKind.publication
        and "state" in changed
        and state == StepState.done
        and consultation.status == ConsultationStatus.published
    ):
        # Imported here: the consultation's transitions import this module to stamp their steps.
        from comments.domain.consultations import archive_consultation

        archive_consultation(consultation, actor)
        archived = True
    return StepChange(step, changed, archived)


def start_comment_period(consultation: Consultation, actor: Actor) -> ConsultationStep:
    """On publication: the comment-period step is in progress, planned for the last day for opinions unless
    the secretariat planned another day already."""
    step = step_of(consultation, StepKind.comment_period)
    if step.planned_on is None:
        step.planned_on = last_day_of_period(consultation)
    return stamp_step(consultation, StepKind.comment_period, state=StepState.in_progress, actor=actor)


def move_comment_period(consultation: Consultation, actor: Actor) -> ConsultationStep:
    """On a deadline extension: the comment-period step is now planned for the new last day."""
    step = step_of(consultation, StepKind.comment_period)
    previous = step.planned_on
    step.planned_on = last_day_of_period(consultation)
    step.updated_at = clock.now()
    db.session.flush()
    record_event(
        actor,
        "schedule.step_replanned",
        consultation,
        step=StepKind.comment_period.value,
        old_planned_on=previous.isoformat() if previous else None,
        planned_on=step.planned_on.isoformat(),
    )
    return step


def end_comment_period(consultation: Consultation, actor: Actor) -> ConsultationStep:
    """On closing: the comment-period step is done on the last day of the period (the day it really ended,
    however late the secretariat closes the file)."""
    return stamp_step(consultation, StepKind.comment_period, on=last_day_of_period(consultation), actor=actor)


def slipped_steps(today: date, consultation: Consultation | None = None) -> list[ConsultationStep]:
    """The steps past their planned day (a Japan date before ``today``) and not done, of one consultation or
    of all, earliest planned first. An archived consultation's file is closed, so its steps no longer slip."""
    statement = (
        select(ConsultationStep)
        .join(ConsultationStep.consultation)
        .options(contains_eager(ConsultationStep.consultation))
        .where(
            ConsultationStep.state != StepState.done,
            ConsultationStep.planned_on.is_not(None),
            ConsultationStep.planned_on < today,
            Consultation.status != ConsultationStatus.archived,
        )
        .order_by(ConsultationStep.planned_on, ConsultationStep.consultation_id, ConsultationStep.id)
    )
    if consultation is not None:
        statement = statement.where(ConsultationStep.consultation_id == consultation.id)
    steps = list(db.session.scalars(statement))
    return sorted(steps, key=lambda step: (step.planned_on, step.consultation_id, STEP_ORDER.index(step.kind)))
