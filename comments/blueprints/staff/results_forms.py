"""The secretariat's forms for the published results: redact a line, omit a line."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from comments.domain.publication import FIELD_LABELS

FIELD_CHOICES = [SelectChoice(name, label) for name, label in FIELD_LABELS.items()]


class RedactForm(FlaskForm):
    field = SelectField(_l("Part to edit"), choices=FIELD_CHOICES)
    text = TextAreaField(_l("Text to publish"), validators=[Length(max=20000)])
    reason = TextAreaField(
        _l("Why this is removed"),
        validators=[DataRequired(message=_l("Write why this is removed.")), Length(max=2000)],
    )


class OmitForm(FlaskForm):
    reason = TextAreaField(
        _l("Why this opinion is not published"),
        validators=[DataRequired(message=_l("Write why this opinion is not published.")), Length(max=2000)],
    )


class CorrectForm(FlaskForm):
    """A correction of a published line: the public page shows what changed, when and why."""

    field = SelectField(_l("Part to correct"), choices=FIELD_CHOICES)
    text = TextAreaField(_l("Corrected text"), validators=[Length(max=20000)])
    reason = TextAreaField(
        _l("Why it is corrected (shown to the public)"),
        validators=[
            DataRequired(message=_l("Write why the line is corrected; the public page shows it.")),
            Length(max=2000),
        ],
    )


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the results are withdrawn (shown to the public)"),
        validators=[
            DataRequired(message=_l("Write why the results are withdrawn; the public page shows it.")),
            Length(max=2000),
        ],
    )
