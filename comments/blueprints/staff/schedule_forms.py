"""The form of the schedule page: one step of a consultation's schedule. Input rules here; the business rules
(a done step has a day, the steps that move with the consultation's state) in domain/schedule.py."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from comments.dates import calendar_day
from comments.labels import label
from comments.models import ConsultationStep, Meeting, StepState

# A day outside these years is a typing slip, not a plan (the service began in 2015).
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
NO_MEETING = 0


class OptionalDayField(DateField):
    """A day that may be left empty; anything typed that is not a day (2015/07/21, 7月21日, a script) is
    refused with a message that says what to enter, never stored."""

    def __init__(self, label, **kwargs):
        super().__init__(label, validators=[Optional()], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(_l("Enter the day as YYYY-MM-DD, e.g. 2015-07-21, or leave it empty."))) from error

    def pre_validate(self, form):
        if self.data is not None and not EARLIEST_DAY <= self.data <= LATEST_DAY:
            raise ValidationError(_l("Enter a day between 2000 and 2099."))


def _choice_id(value) -> int:
    """A submitted meeting id; anything that is not a number counts as none offered (refused below)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class StepForm(FlaskForm):
    """One step: planned day, actual day, state, meeting, public or not, and the secretariat's note.

    Made with ``for_step``, which offers the meetings and removes what the step's state decides (the state
    and actual day of the comment period and the inspection), so a forged value for those is never read."""

    planned_on = OptionalDayField(_l("Planned date"))
    done_on = OptionalDayField(_l("Actual date"))
    state = SelectField(_l("State"), validate_choice=False)
    meeting = SelectField(_l("Meeting"), coerce=_choice_id, validate_choice=False, default=NO_MEETING)
    public = BooleanField(_l("Shown on the public page"))
    note = TextAreaField(
        _l("Note (seen by the secretariat only)"),
        validators=[Length(max=2000, message=_l("Write the note in at most 2,000 characters."))],
    )

    @classmethod
    def for_step(
        cls, step: ConsultationStep, meetings: list[Meeting], locked: frozenset[str], *, formdata=True
    ) -> StepForm:
        values = {}
        if formdata is not True:
            values = {
                "formdata": None,
                "planned_on": step.planned_on,
                "done_on": step.done_on,
                "state": step.state.value,
                "meeting": step.meeting_id or NO_MEETING,
                "public": step.public,
                "note": step.note or "",
            }
        form = cls(prefix=step.kind.value, **values)
        form.state.choices = [SelectChoice(state.value, label(state)) for state in StepState]
        form.meeting.choices = [SelectChoice(NO_MEETING, _l("None"))] + [
            SelectChoice(meeting.id, _l("%(text)s (%(note)s)", text=meeting.title, note=calendar_day(meeting.held_on)))
            for meeting in meetings
        ]
        for name in locked:
            delattr(form, name)
        return form

    def validate_state(self, field):
        if field.data not in {state.value for state in StepState}:
            raise ValidationError(_l("Choose one of the states listed."))

    def validate_meeting(self, field):
        if field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(_l("Choose one of the meetings listed, or none."))
