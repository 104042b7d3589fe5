"""The forms of the committee's opinions (主な意見): record one, answer it, carry it to a later meeting, close
it there; and of the report to the council. Each opinion's forms have their own prefix on a page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from comments.domain.council_report import MAX_BODY_CHARS
from comments.domain.opinions import MAX_TEXT_CHARS

_TOO_LONG = _l("At most %(max)d characters; shorten the text.")


def _optional_int(value):
    """A select's value as an int, None for the empty choice; anything else stays as sent, and the
    choice check then refuses it with a message rather than a 500."""
    if value in (None, "", "None"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    # An id the database's integer column cannot hold would fail in the query, not in the form.
    return number if 0 < number < 2**31 else value


class OpinionForm(FlaskForm):
    """One of the committee's main opinions raised at the meeting, about one of its consultations."""

    consultation_id = SelectField(
        _l("Consultation it concerns"),
        coerce=_optional_int,
        validators=[InputRequired(message=_l("Choose the consultation the opinion concerns."))],
    )
    body = TextAreaField(
        _l("The committee's opinion"),
        validators=[
            DataRequired(message=_l("Write the committee's opinion.")),
            Length(max=MAX_TEXT_CHARS, message=_TOO_LONG),
        ],
    )


class AnswerOpinionForm(FlaskForm):
    """The city's answer to an opinion: given at its meeting, or at the meeting it was carried to."""

    answer = TextAreaField(
        _l("The city's answer"),
        validators=[
            DataRequired(message=_l("Write the city's answer.")),
            Length(max=MAX_TEXT_CHARS, message=_TOO_LONG),
        ],
    )


class CarryOpinionForm(FlaskForm):
    """The later meeting where the city will answer (次回以降の部会で説明)."""

    meeting_id = SelectField(
        _l("Meeting where the city will answer"),
        coerce=_optional_int,
        validators=[InputRequired(message=_l("Choose the later meeting where the city will answer."))],
    )


def opinion_form_prefix(action: str, opinion_id: int) -> str:
    return f"{action}-{opinion_id}"


class CouncilReportForm(FlaskForm):
    """The secretariat's edit of the draft report to the council."""

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the report a title.")),
            Length(max=300, message=_l("At most 300 characters.")),
        ],
    )
    addressee = StringField(
        _l("Addressed to"),
        validators=[
            DataRequired(message=_l("Say to whom the report is addressed.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
    )
    dated_on = DateField(
        _l("Date of the report"),
        validators=[Optional()],
        render_kw={"placeholder": "2015-08-27"},
    )
    meeting_id = SelectField(_l("Council meeting it goes to"), coerce=_optional_int, validators=[Optional()])
    body = TextAreaField(
        _l("Text of the report"),
        validators=[
            DataRequired(message=_l("Write the text of the report.")),
            Length(max=MAX_BODY_CHARS, message=_TOO_LONG),
        ],
        render_kw={"rows": 24},
    )


class ReportActionForm(FlaskForm):
    """A form of one button (draft or assemble again, approve): its CSRF token only."""
