"""The committee portal's forms: a question typed in, a question file, its confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FileField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired

WHOLE_DRAFT = ""


class SectionChoiceMixin:
    def offer_sections(self, sections: list[tuple[int, str]]) -> None:
        self.section_id.choices = [
            (WHOLE_DRAFT, _l("The whole draft / not specific")),
            *[(str(i), t) for i, t in sections],
        ]

    @property
    def chosen_section_id(self) -> int | None:
        value = self.section_id.data
        return int(value) if value and str(value).isdigit() else None


class QuestionForm(SectionChoiceMixin, FlaskForm):
    section_id = SelectField(_l("Section of the draft"), choices=[], validate_choice=True)
    body = TextAreaField(_l("Your question"), validators=[DataRequired(message=_l("Write your question."))])


class QuestionFileForm(SectionChoiceMixin, FlaskForm):
    section_id = SelectField(_l("Section of the draft"), choices=[], validate_choice=True)
    document = FileField(_l("File with your questions (DOCX, PDF or TXT)"))


class ConfirmFileForm(SectionChoiceMixin, FlaskForm):
    """The second step: the text read from the file, which the member checks (and may correct)."""

    section_id = SelectField(_l("Section of the draft"), choices=[], validate_choice=True)
    body = TextAreaField(_l("Text of your question, as read from the file"))
    upload = HiddenField()


class RotateAddressForm(FlaskForm):
    """Only the CSRF token: the button makes a new intake address."""
