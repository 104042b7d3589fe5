"""The forms of the response workflow: the queue's filters (GET), the draft, the review, the approval with
the password typed again (R27), and the templates applied in bulk."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from comments.domain.responses import DUE_SOON, NO_RESPONSE, OVERDUE, QueueFilters
from comments.labels import LABELS, NO_RESPONSE_LABEL
from comments.models import ResponseCategory, ResponseState

ANY = ""
STATE_LABELS = {NO_RESPONSE: NO_RESPONSE_LABEL, **{state.value: LABELS[state] for state in ResponseState}}
STATE_CHOICES = [SelectChoice(ANY, _l("Any")), *(SelectChoice(value, label) for value, label in STATE_LABELS.items())]
DUE_CHOICES = [
    SelectChoice(ANY, _l("Any")),
    SelectChoice(OVERDUE, _l("Overdue")),
    SelectChoice(DUE_SOON, _l("Due within 7 days")),
]
CATEGORY_CHOICES = [SelectChoice(category.value, LABELS[category]) for category in ResponseCategory]
NO_CATEGORY = ""
TEMPLATE_CATEGORY_CHOICES = [SelectChoice(NO_CATEGORY, _l("None: each response chooses its own")), *CATEGORY_CHOICES]


def state_label(state: ResponseState | None) -> str:
    """The words for a response's state; None is an item nobody has answered yet."""
    return str(STATE_LABELS[state.value if state is not None else NO_RESPONSE])


class QueueFilterForm(FlaskForm):
    """What to narrow the queue to; every field is optional."""

    class Meta:
        csrf = False  # a GET filter form: it changes nothing, and its URL must be shareable

    state = SelectField(_l("Response state"), choices=STATE_CHOICES, default=ANY)
    due = SelectField(_l("Due date"), choices=DUE_CHOICES, default=ANY)
    # Offered to the secretariat only; the view fills the choices with the departments.
    department_id = SelectField(_l("Department"), choices=[SelectChoice(ANY, _l("Any"))], default=ANY)

    def to_filters(self) -> QueueFilters:
        department = self.department_id.data
        return QueueFilters(
            state=self.state.data or None,
            due=self.due.data or None,
            department_id=int(department) if department and department.isdigit() else None,
        )


class ResponseForm(FlaskForm):
    """One save of the response: a new revision."""

    body = TextAreaField(
        _l("Response (市の考え方)"),
        validators=[
            DataRequired(message=_l("Write the response.")),
            Length(max=20000, message=_l("At most 20,000 characters.")),
        ],
    )
    category = RadioField(_l("Category"), choices=CATEGORY_CHOICES, validators=[Optional()])
    change_made = TextAreaField(
        _l("Change made to the draft"),
        validators=[Optional(), Length(max=5000, message=_l("At most 5,000 characters."))],
    )


class SubmitForReviewForm(FlaskForm):
    """The "Send for review" button: a POST with a CSRF token."""


class ReviewCommentForm(FlaskForm):
    remark = TextAreaField(
        _l("Your comment"),
        validators=[
            DataRequired(message=_l("Write the comment.")),
            Length(max=5000, message=_l("At most 5,000 characters.")),
        ],
    )


class ApproveForm(FlaskForm):
    """Approval needs the approver's password typed again just now (R27)."""

    password = PasswordField(
        _l("Your password"), validators=[DataRequired(message=_l("Enter your password again to approve."))]
    )


class TemplateForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the template a title.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
    )
    body = TextAreaField(
        _l("Text of the response"),
        validators=[
            DataRequired(message=_l("Write the text of the template.")),
            Length(max=20000, message=_l("At most 20,000 characters.")),
        ],
    )
    category = RadioField(_l("Category"), choices=TEMPLATE_CATEGORY_CHOICES, default=NO_CATEGORY)


class MultiCheckboxField(SelectMultipleField):
    """A list of checkboxes; only the values offered are accepted, so an item the user may not see can never
    be ticked by editing the request (R26)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApplyTemplateForm(FlaskForm):
    """The view fills both lists: the consultation's templates and the items the user may see."""

    template_id = RadioField(
        _l("Template"), coerce=int, validators=[InputRequired(message=_l("Choose the template to apply."))]
    )
    item_ids = MultiCheckboxField(
        _l("Items"), coerce=int, validators=[DataRequired(message=_l("Tick at least one item."))]
    )
