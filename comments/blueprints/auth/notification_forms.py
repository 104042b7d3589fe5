"""Forms of a person's notifications: marking them read, and how they are mailed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField
from wtforms.validators import InputRequired, Length

EACH = "each"
DAILY = "daily"


class MarkReadForm(FlaskForm):
    """One button: this notice (or every notice) is read. ``next`` is the page to go back to (a path of this
    site; anything else is ignored)."""

    next = HiddenField(validators=[Length(max=2000)])


class DeliveryForm(FlaskForm):
    """How notices are mailed: one mail each, or one digest a day."""

    delivery = RadioField(
        _l("How notices are mailed to you"),
        choices=[
            (EACH, _l("A mail for each notice, as it comes")),
            (DAILY, _l("One mail a day listing the day's notices (a daily digest)")),
        ],
        validators=[InputRequired(message=_l("Choose how notices are mailed to you."))],
    )

    @classmethod
    def for_user(cls, user) -> DeliveryForm:
        """The form showing ``user``'s present choice, never another form's posted fields."""
        return cls(formdata=None, data={"delivery": DAILY if user.notify_daily else EACH})
