"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField
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

    actor = StringField(_l("Person (the name as shown, or e.g. user:12)"), validators=[Optional(), Length(max=100)])
    action = StringField(_l("Action (or its beginning, e.g. personal_data)"), validators=[Optional(), Length(max=100)])
    start = DateField(_l("From (Japan time)"), validators=[Optional()])
    end = DateField(_l("Until (Japan time, inclusive)"), validators=[Optional()])


class AuditReviewForm(FlaskForm):
    # Its own ids: the filter form above it on the same page has fields named start and end too.
    start = DateField(
        _l("Reviewed from"), id="review-start", validators=[InputRequired(message=_l("Enter the first day reviewed."))]
    )
    end = DateField(
        _l("Reviewed until"), id="review-end", validators=[InputRequired(message=_l("Enter the last day reviewed."))]
    )
    note = TextAreaField(
        _l("Note"), id="review-note", validators=[Length(max=2000, message=_l("At most 2,000 characters."))]
    )


class RolesForm(FlaskForm):
    """The roles of one account and its department; the view offers every role and every department."""

    roles = CheckboxesField(_l("Roles"))
    department_id = SelectField(_l("Department"), validators=[Optional()])


class InvitationForm(FlaskForm):
    """An account offered by mail: who, with which roles and department (the view offers every role and
    department)."""

    email = EmailField(
        _l("E-mail address"),
        validators=[
            InputRequired(message=_l("Enter the e-mail address the person signs in with.")),
            Length(max=254, message=_l("Too long.")),
        ],
    )
    display_name = StringField(
        _l("Name"),
        validators=[InputRequired(message=_l("Enter the person's name.")), Length(max=200, message=_l("Too long."))],
    )
    roles = CheckboxesField(_l("Roles"))
    department_id = SelectField(_l("Department"), validators=[Optional()])


class TransferForm(FlaskForm):
    """A transfer (異動): its day, the new post, and what the account keeps for it (nothing unless ticked)."""

    effective_on = DateField(
        _l("Date of the transfer"), validators=[InputRequired(message=_l("Enter the date of the transfer."))]
    )
    new_post = StringField(
        _l("New post"),
        validators=[InputRequired(message=_l("Enter the new post.")), Length(max=300, message=_l("Too long."))],
    )
    roles = CheckboxesField(_l("Roles kept for the new post"))
    department_id = SelectField(_l("Department for the new post"), validators=[Optional()])


class SecondFactorResetForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            InputRequired(message=_l("Write why the second factor is reset (e.g. the phone was lost).")),
            Length(max=1000, message=_l("At most 1,000 characters.")),
        ],
    )


class DepartmentForm(FlaskForm):
    name = StringField(
        _l("Name of the department"),
        validators=[
            InputRequired(message=_l("Enter the department's name (e.g. 健康保険課).")),
            Length(max=200, message=_l("Too long.")),
        ],
    )


class DepartmentMergeForm(FlaskForm):
    """Merge this department into another one; the view offers the others."""

    into = SelectField(_l("Merge into"), validators=[InputRequired(message=_l("Choose the department that remains."))])
