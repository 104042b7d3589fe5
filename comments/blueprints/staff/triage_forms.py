"""The forms of a submission's triage page: a part made an item, or marked as not an opinion."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp
from wtforms.widgets import HiddenInput

from comments.labels import LABELS
from comments.models import ItemKind

GIST_PREFILL_CHARS = 500
KIND_CHOICES = [SelectChoice(kind.value, LABELS[kind]) for kind in ItemKind]
NO_SECTION = 0


class _PartForm(FlaskForm):
    """A part of a submission's text by its character offsets, with the split points staff removed."""

    start = IntegerField(
        _l("Start of the part"), widget=HiddenInput(), validators=[InputRequired(message=_l("The part is missing."))]
    )
    end = IntegerField(
        _l("End of the part"), widget=HiddenInput(), validators=[InputRequired(message=_l("The part is missing."))]
    )
    # The "join with next" choices in force, carried through the POST so the page comes back the same.
    joins = HiddenField(validators=[Optional(), Regexp(r"^\d{1,4}(,\d{1,4}){0,199}$")])
    # The "split after this sentence" choices in force: character offsets into the text, carried likewise.
    splits = HiddenField(validators=[Optional(), Regexp(r"^\d{1,9}(,\d{1,9}){0,199}$")])

    def give_ids(self, prefix: str) -> None:
        """Distinct element ids for this form among the many of the page (labels and errors follow)."""
        for field in self:
            field.id = f"{prefix}-{field.name}"


class ItemForm(_PartForm):
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validators=[InputRequired(message=_l("Choose the kind."))])
    gist = TextAreaField(
        _l("Gist (意見の概要)"),
        validators=[
            DataRequired(message=_l("Write the gist of the item (意見の概要).")),
            Length(max=2000, message=_l("At most 2000 characters.")),
        ],
    )
    section = SelectField(_l("Section of the draft"), coerce=int, default=NO_SECTION)

    def offer_sections(self, choices: list[tuple[int, str]]) -> None:
        self.section.choices = [
            SelectChoice(NO_SECTION, _l("The whole draft / not specific")),
            *(SelectChoice(value, label) for value, label in choices),
        ]


class NotOpinionForm(_PartForm):
    confirm = BooleanField(
        _l("This part is not an opinion (a greeting, a signature)"),
        validators=[DataRequired(message=_l("Tick the box to confirm that this part is not an opinion."))],
    )
    note = StringField(_l("Note"), validators=[Length(max=200, message=_l("At most 200 characters."))])
