"""The forms of the inquiries page: an inquiry to an outside body, and its answer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from comments.blueprints.fields import CheckboxesField


class InquiryForm(FlaskForm):
    """A question forwarded to an outside body for some items of one consultation."""

    body_name = StringField(
        _l("Sent to"),
        validators=[
            DataRequired(message=_l("Name the body the question went to (e.g. 総務省, J-LIS).")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
    )
    question = TextAreaField(
        _l("Question, as sent"), validators=[DataRequired(message=_l("Write the question as it was sent."))]
    )
    sent_on = DateField(
        _l("Day it was sent"), validators=[InputRequired(message=_l("Enter the day, e.g. 2015-08-01."))]
    )
    sent_how = StringField(
        _l("How it was sent"),
        validators=[
            DataRequired(message=_l("Say how it was sent (e-mail, letter, telephone).")),
            Length(max=100, message=_l("At most 100 characters.")),
        ],
    )
    items = CheckboxesField(
        _l("Items it serves"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose the items the inquiry serves."))],
    )


class AnswerForm(FlaskForm):
    """The outside body's answer to one inquiry; each inquiry's form has its own prefix on the page."""

    answer = TextAreaField(
        _l("Answer, as received"), validators=[DataRequired(message=_l("Write the answer as it was received."))]
    )
    answered_on = DateField(
        _l("Day it was answered"), validators=[InputRequired(message=_l("Enter the day, e.g. 2015-09-01."))]
    )
    public = BooleanField(_l("The answer may be published (it then appears in the meeting packet)"))


def answer_form_prefix(inquiry_id: int) -> str:
    return f"answer-{inquiry_id}"
