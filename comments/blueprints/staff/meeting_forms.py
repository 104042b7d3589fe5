"""The form of the meetings page: a committee meeting and the consultations its packet covers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from comments.blueprints.fields import CheckboxesField


class MeetingForm(FlaskForm):
    """A committee meeting and the consultations its packet covers."""

    title = StringField(
        _l("Title of the meeting"),
        validators=[
            DataRequired(message=_l("Give the meeting a title.")),
            Length(max=300, message=_l("At most 300 characters.")),
        ],
    )
    held_on = DateField(
        _l("Day of the meeting"), validators=[InputRequired(message=_l("Enter the day, e.g. 2015-09-03."))]
    )
    consultations = CheckboxesField(
        _l("Consultations it inspects"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose the consultations the meeting inspects."))],
    )
