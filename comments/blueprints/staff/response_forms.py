"""The forms of the response page: the draft, the review, the approval with the password typed again (R27)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from comments.labels import LABELS
from comments.models import ResponseCategory

CATEGORY_CHOICES = [SelectChoice(category.value, LABELS[category]) for category in ResponseCategory]
NO_CATEGORY = ""


def category_of(value: str | None) -> ResponseCategory | None:
    """The category a form's choice names; none for the empty choice."""
    return ResponseCategory(value) if value and value != NO_CATEGORY else None


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
