"""Back-office views: the assessment's schedule of a consultation (its six steps), edited by the secretariat one
step at a time, and the steps of every consultation that slipped past their planned day."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.schedule_forms import NO_MEETING, StepForm
from comments.blueprints.views import load, post_change
from comments.domain import schedule
from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, ConsultationStep, Meeting, StepKind, StepState
from comments.permissions import Permission, require


@dataclass(frozen=True)
class StepAction:
    """The control on the consultation's page that moves a state-bound step: the id it is found at there
    (None: the page itself) and what it says."""

    anchor: str | None
    text: object


@dataclass(frozen=True)
class ScheduleRow:
    step: ConsultationStep
    slipped: bool
    action: StepAction | None
    explanation: object | None  # why the state and actual date are not edited by hand, for a state-bound step


def step_action(consultation: Consultation, step: ConsultationStep) -> StepAction | None:
    """What moves a state-bound step next, as a link to the control on the consultation's page; None when the
    step is done or is not bound to the consultation's state."""
    if step.kind not in schedule.STATE_BOUND_STEPS or step.state == StepState.done:
        return None
    status = consultation.status
    if step.kind == StepKind.comment_period:
        if status == ConsultationStatus.draft:
            return StepAction("publish-title", _l("Publish this consultation"))
        if status == ConsultationStatus.open:
            return StepAction("close-title", _l("Close this consultation (or extend the deadline)"))
        return None
    if status == ConsultationStatus.responding:
        return StepAction("inspection-title", _l("Record the inspection"))
    if status in (ConsultationStatus.draft, ConsultationStatus.open, ConsultationStatus.closed):
        return StepAction(None, _l("Recorded on the consultation's page once the responses are being prepared"))
    return None


def schedule_rows(consultation: Consultation) -> list[ScheduleRow]:
    """The consultation's six steps as the back office shows them (read only: nothing is written)."""
    today = clock.japan_today()
    return [
        ScheduleRow(
            step=step,
            slipped=step.slipped(today),
            action=step_action(consultation, step),
            explanation=schedule.STATE_BOUND_STEPS.get(step.kind),
        )
        for step in schedule.schedule_of(consultation)
    ]


def _meetings() -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc())))


def _render_schedule(consultation: Consultation, failed: tuple[StepKind, StepForm] | None = None):
    """The page: the six steps in a table, then one form per step; ``failed`` is the form refused, shown with
    what was typed and its errors."""
    meetings = _meetings()
    rows = schedule_rows(consultation)
    forms = {}
    for row in rows:
        if failed is not None and failed[0] == row.step.kind:
            forms[row.step.kind] = failed[1]
        else:
            forms[row.step.kind] = StepForm.for_step(
                row.step, meetings, schedule.locked_fields(row.step), formdata=False
            )
    return render_template(
        "staff/consultation_schedule.html",
        consultation=consultation,
        rows=rows,
        forms=forms,
        failed_form=failed[1] if failed is not None else None,
    )


@bp.get("/consultations/<int:consultation_id>/schedule")
@require(Permission.consultation_manage)
def edit_schedule(consultation_id: int):
    """The consultation's schedule: planned and actual day, state, meeting and visibility of each step."""
    return _render_schedule(load(Consultation, consultation_id))


def _step_kind(kind: str) -> StepKind:
    try:
        return StepKind(kind)
    except ValueError:
        abort(404)


@bp.post("/consultations/<int:consultation_id>/schedule/<kind>")
@require(Permission.consultation_manage)
def update_schedule_step(consultation_id: int, kind: str):
    """Save one step. The state and actual day of the comment period and the inspection are not in its form:
    the consultation's actions set them."""
    consultation = load(Consultation, consultation_id)
    step_kind = _step_kind(kind)
    shown = next(step for step in schedule.schedule_of(consultation) if step.kind == step_kind)
    form = StepForm.for_step(shown, _meetings(), schedule.locked_fields(shown))

    def change():
        step = schedule.step_of(consultation, step_kind)
        meeting_id = form.meeting.data if "meeting" in form else step.meeting_id
        return schedule.update_step(
            step,
            planned_on=form.planned_on.data,
            done_on=form.done_on.data if "done_on" in form else step.done_on,
            state=StepState(form.state.data) if "state" in form else step.state,
            public=form.public.data,
            note=form.note.data or "",
            meeting=db.session.get(Meeting, meeting_id) if meeting_id not in (None, NO_MEETING) else None,
            actor=request_actor(),
        )

    def done(result: schedule.StepChange):
        if result.archived:
            return _l("The step is saved. The final assessment is published, so the consultation is archived.")
        return _l("The step is saved.") if result.changed else _l("Nothing was changed.")

    return post_change(
        form,
        change,
        page=lambda: _render_schedule(consultation, failed=(step_kind, form)),
        lock=[consultation],
        then=url_for("staff.edit_schedule", consultation_id=consultation_id, _anchor=f"step-{step_kind.value}"),
        done=done,
    )


@bp.get("/schedule/slipped")
@require(Permission.consultation_manage)
def list_slipped_steps():
    """Every consultation's steps past their planned day and not done, earliest first."""
    today = clock.japan_today()
    return render_template("staff/schedule_slipped.html", today=today, steps=schedule.slipped_steps(today))
