"""The secretariat's decision on a quarantined e-mail."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length


class ReleaseForm(FlaskForm):
    consultation_id = SelectField(
        _l("Consultation"), coerce=int, validators=[InputRequired(message=_l("Choose the consultation."))]
    )
    member_id = SelectField(
        _l("Committee member"), coerce=int, validators=[InputRequired(message=_l("Choose whose question it is."))]
    )
    note = TextAreaField(
        _l("Why you release it"),
        validators=[
            DataRequired(message=_l("Write why you release this message.")),
            Length(max=2000, message=_l("At most 2,000 characters.")),
        ],
    )


class RejectForm(FlaskForm):
    note = TextAreaField(
        _l("Why you reject it"),
        validators=[
            DataRequired(message=_l("Write why you reject this message.")),
            Length(max=2000, message=_l("At most 2,000 characters.")),
        ],
    )
