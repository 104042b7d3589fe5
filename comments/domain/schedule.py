"""The assessment's schedule (the seed's ①-⑨): each consultation's steps, planned and then done.

Every consultation has one step of each ``StepKind``; ``steps_of`` makes the missing ones, so a consultation
made before schedules existed gets its steps the first time they are looked at. The steps that belong to
a state of the consultation (the comment period, the inspection) are stamped by the functions that move
the state (comments/domain/consultations.py), and the others by what does them (a meeting, the report to
the council) or by the secretariat.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from comments import clock
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import Consultation, ConsultationStep, Meeting, StepKind, StepState

# The order of the schedule is the order of the enum.
STEP_ORDER: tuple[StepKind, ...] = tuple(StepKind)


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
