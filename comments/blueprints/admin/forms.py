"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from comments.blueprints.fields import CheckboxesField


class ConfirmForm(FlaskForm):
    """A button that changes something: a POST with a CSRF token."""


class ReviewForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=2000, message=_l("At most 2,000 characters."))])


class AuditFilterForm(FlaskForm):
    """The filters of the audit review page: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    actor = StringField(_l("Person (e.g. user:12)"), validators=[Optional(), Length(max=100)])
    action = StringField(_l("Action (or its beginning, e.g. personal_data)"), validators=[Optional(), Length(max=100)])
    start = DateField(_l("From (Japan time)"), validators=[Optional()])
    end = DateField(_l("Until (Japan time, inclusive)"), validators=[Optional()])


class AuditReviewForm(FlaskForm):
    start = DateField(_l("Reviewed from"), validators=[InputRequired(message=_l("Enter the first day reviewed."))])
    end = DateField(_l("Reviewed until"), validators=[InputRequired(message=_l("Enter the last day reviewed."))])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000, message=_l("At most 2,000 characters."))])


class RolesForm(FlaskForm):
    """The roles of one account and its department; the view offers every role and every department."""

    roles = CheckboxesField(_l("Roles"))
    department_id = SelectField(_l("Department"), validators=[Optional()])
