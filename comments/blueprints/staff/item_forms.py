"""The forms of a consultation's items list: its filters (GET), and grouping, assigning and carrying over."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from comments.blueprints.fields import ANY, ANY_CHOICE, YES_NO_CHOICES, yes_no
from comments.domain.triage import ItemFilters
from comments.labels import LABELS, NO_RESPONSE_LABEL
from comments.models import ResponseState

NONE = "none"
RESPONSE_STATE_CHOICES = [
    ANY_CHOICE,
    SelectChoice(NONE, NO_RESPONSE_LABEL),
    *[SelectChoice(state.value, LABELS[state]) for state in ResponseState],
]


class ItemFilterForm(FlaskForm):
    """What to narrow the items list to; every field is optional."""

    class Meta:
        csrf = False  # a GET filter form: it changes nothing, and its URL must be shareable

    state = SelectField(_l("Response"), choices=RESPONSE_STATE_CHOICES, default=ANY)
    department = SelectField(_l("Department"), default=ANY)
    overdue = SelectField(_l("Overdue"), choices=YES_NO_CHOICES, default=ANY)
    carried_over = SelectField(_l("Carried over"), choices=YES_NO_CHOICES, default=ANY)

    def offer_departments(self, departments) -> None:
        self.department.choices = [
            ANY_CHOICE,
            SelectChoice(NONE, _l("Not assigned")),
            *[SelectChoice(str(department.id), department.name) for department in departments],
        ]

    def to_filters(self) -> ItemFilters:
        state, department = self.state.data or ANY, self.department.data or ANY
        return ItemFilters(
            response_states=None if state == ANY else frozenset({None if state == NONE else ResponseState(state)}),
            department_ids=None if department == ANY else frozenset({None if department == NONE else int(department)}),
            overdue=yes_no(self.overdue.data),
            carried_over=yes_no(self.carried_over.data),
        )


class _ChosenItemsForm(FlaskForm):
    """Items ticked in the list; the choices are the consultation's items, so no other item can be named."""

    # The id is the items table's: the error summary's link for this field leads to the boxes to tick.
    items = SelectMultipleField(_l("Items"), coerce=int, validate_choice=True, id="item-table")

    def offer_items(self, item_choices: list[tuple[int, str]]) -> None:
        self.items.choices = item_choices


class GroupForm(_ChosenItemsForm):
    gist = TextAreaField(
        _l("Gist shared by the group"),
        validators=[
            DataRequired(message=_l("Write the gist shared by the group.")),
            Length(max=2000, message=_l("At most 2000 characters.")),
        ],
    )

    def validate_items(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Tick the items to group."))


NO_DEPARTMENT = 0


class AssignForm(_ChosenItemsForm):
    # A first choice of none, so no department is picked by accident.
    department_id = SelectField(_l("Department"), coerce=int, default=NO_DEPARTMENT)
    due_on = DateField(_l("Due date"), validators=[InputRequired(message=_l("Enter the due date, e.g. 2015-08-31."))])

    def offer_departments(self, departments) -> None:
        self.department_id.choices = [
            (NO_DEPARTMENT, _l("Choose a department")),
            *[(department.id, department.name) for department in departments],
        ]

    def validate_items(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Tick the items to assign."))

    def validate_department_id(self, field) -> None:
        if field.data == NO_DEPARTMENT:
            raise ValidationError(_l("Choose the department."))


class CarryOverForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Write why the item is carried over.")),
            Length(max=2000, message=_l("At most 2000 characters.")),
        ],
    )
