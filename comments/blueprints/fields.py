"""Form fields and filter choices the forms of several views share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

# The choice of a filter that leaves a field unfiltered, and the three choices of a yes-or-no filter.
ANY = ""
ANY_CHOICE = SelectChoice(ANY, _l("Any"))
YES_NO_CHOICES = [SelectChoice(ANY, _l("Either")), SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]


def yes_no(value: str) -> bool | None:
    """A yes-or-no filter's choice: True, False, or None for either."""
    return {"yes": True, "no": False}.get(value)


class CheckboxesField(SelectMultipleField):
    """Several choices ticked from a list of checkboxes; ``choices`` are set by the view. Only the values
    offered are accepted, so an item the user may not see can never be ticked by editing the request (R26)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
