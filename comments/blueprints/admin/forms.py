"""Administration forms."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button that changes something: a POST with a CSRF token."""
