"""The forms of the minutes pages: the text and a note, a Word file to import, circulation, publication."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, TextAreaField
from wtforms.validators import InputRequired, Length

from comments.domain.minutes import MAX_NOTE_CHARS
from comments.domain.minutes_text import MAX_SOURCE_CHARS


class MinutesSourceForm(FlaskForm):
    """A new version of the minutes: the whole text in the markup, and what changed."""

    source = TextAreaField(
        _l("Text of the minutes"),
        validators=[
            InputRequired(message=_l("The minutes are empty. Type or paste their text.")),
            Length(max=MAX_SOURCE_CHARS, message=_l("The minutes are too long. Split them into parts.")),
        ],
    )
    note = TextAreaField(
        _l("What changed in this version"),
        validators=[Length(max=MAX_NOTE_CHARS, message=_l("The note is too long. Shorten it."))],
    )


class MinutesImportForm(FlaskForm):
    """A Word file whose text is put in the edit box, to check and mark before it is saved."""

    document = FileField(_l("Word file of the minutes (.docx)"))


class CirculateMinutesForm(FlaskForm):
    deadline = DateField(
        _l("Comments due by"), validators=[InputRequired(message=_l("Enter the day, e.g. 2015-10-09."))]
    )


class MinutesActionForm(FlaskForm):
    """Only the CSRF token: a button (publish, finalise)."""
