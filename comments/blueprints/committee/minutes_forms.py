"""The forms of the portal's minutes page: a member's comment, and the chair's button to finalise."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from comments.domain.minutes import MAX_COMMENT_CHARS


class MinutesCommentForm(FlaskForm):
    body = TextAreaField(
        _l("Your comment on the draft"),
        validators=[
            InputRequired(message=_l("The comment is empty. Type it.")),
            Length(max=MAX_COMMENT_CHARS, message=_l("The comment is too long. Shorten it.")),
        ],
    )


class FinaliseMinutesForm(FlaskForm):
    """Only the CSRF token: the chair's button."""
