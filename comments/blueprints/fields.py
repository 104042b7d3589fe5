"""Form fields the forms of several blueprints share."""

from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """Several choices ticked from a list of checkboxes; ``choices`` are set by the view. Only the values
    offered are accepted, so an item the user may not see can never be ticked by editing the request (R26)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()
