"""The filters of the departments' queue (GET)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from comments.blueprints.fields import ANY, ANY_CHOICE
from comments.domain.responses import DUE_SOON, NO_RESPONSE, OVERDUE, QueueFilters
from comments.labels import LABELS, NO_RESPONSE_LABEL
from comments.models import ResponseState

STATE_CHOICES = [
    ANY_CHOICE,
    SelectChoice(NO_RESPONSE, NO_RESPONSE_LABEL),
    *(SelectChoice(state.value, LABELS[state]) for state in ResponseState),
]
DUE_CHOICES = [
    ANY_CHOICE,
    SelectChoice(OVERDUE, _l("Overdue")),
    SelectChoice(DUE_SOON, _l("Due within 7 days")),
]


class QueueFilterForm(FlaskForm):
    """What to narrow the queue to; every field is optional."""

    class Meta:
        csrf = False  # a GET filter form: it changes nothing, and its URL must be shareable

    state = SelectField(_l("Response state"), choices=STATE_CHOICES, default=ANY)
    due = SelectField(_l("Due date"), choices=DUE_CHOICES, default=ANY)
    # Offered to the secretariat only; the view fills the choices with the departments.
    department_id = SelectField(_l("Department"), choices=[ANY_CHOICE], default=ANY)

    def to_filters(self) -> QueueFilters:
        department = self.department_id.data
        return QueueFilters(
            state=self.state.data or None,
            due=self.due.data or None,
            department_id=int(department) if department and department.isdigit() else None,
        )
