"""The forms of the response templates: a new template, and one applied to many items at once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from comments.blueprints.fields import CheckboxesField
from comments.blueprints.staff.response_forms import CATEGORY_CHOICES, NO_CATEGORY

TEMPLATE_CATEGORY_CHOICES = [SelectChoice(NO_CATEGORY, _l("None: each response chooses its own")), *CATEGORY_CHOICES]


class TemplateForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give the template a title.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
    )
    body = TextAreaField(
        _l("Text of the response"),
        validators=[
            DataRequired(message=_l("Write the text of the template.")),
            Length(max=20000, message=_l("At most 20,000 characters.")),
        ],
    )
    category = RadioField(_l("Category"), choices=TEMPLATE_CATEGORY_CHOICES, default=NO_CATEGORY)


class ApplyTemplateForm(FlaskForm):
    """The view fills both lists: the consultation's templates and the items the user may see."""

    template_id = RadioField(
        _l("Template"), coerce=int, validators=[InputRequired(message=_l("Choose the template to apply."))]
    )
    item_ids = CheckboxesField(
        _l("Items"), coerce=int, validators=[DataRequired(message=_l("Tick at least one item."))]
    )
