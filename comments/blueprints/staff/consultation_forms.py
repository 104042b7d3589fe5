"""Forms of the secretariat's consultation pages. Input rules here; the business rules in domain/consultations.py."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FileField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from comments.domain.consultations import ConsultationDetails
from comments.domain.deadlines import end_of_day, start_of_day
from comments.models import MaterialKind, PostalRule


class DayField(DateField):
    """A date input whose "not a date" message says what to enter, like every other message here."""

    def __init__(self, label, *, message, **kwargs):
        super().__init__(label, validators=[InputRequired(message=message)], **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(self.message)) from error


class ConsultationForm(FlaskForm):
    """Create or edit a consultation. Dates are days in Japan time: it opens at the start of the first
    day and closes at the end of the last (24:00 Japan time)."""

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Enter the title of the draft assessment.")),
            Length(max=300, message=_l("Write the title in at most 300 characters.")),
        ],
    )
    slug = StringField(
        _l("Address of the public page"),
        validators=[
            DataRequired(message=_l("Enter the address of the public page, such as 2025-koki-korei.")),
            Length(max=80, message=_l("Write the address in at most 80 characters.")),
        ],
    )
    affair = StringField(
        _l("Affair (事務)"),
        validators=[
            DataRequired(message=_l("Enter the affair (事務) the assessment covers.")),
            Length(max=200, message=_l("Write the affair in at most 200 characters.")),
        ],
    )
    system_name = StringField(
        _l("System"), validators=[Length(max=200, message=_l("Write the system in at most 200 characters."))]
    )
    department = StringField(
        _l("Department"),
        validators=[
            DataRequired(message=_l("Enter the department responsible for the affair.")),
            Length(max=200, message=_l("Write the department in at most 200 characters.")),
        ],
    )
    evaluation_group = StringField(
        _l("Evaluation group"),
        validators=[Length(max=100, message=_l("Write the evaluation group in at most 100 characters."))],
    )
    summary = TextAreaField(_l("Summary"))
    opens_on = DayField(_l("Opens on"), message=_l("Enter the day the comment period opens, as YYYY-MM-DD."))
    closes_on = DayField(
        _l("Last day for opinions"), message=_l("Enter the last day of the comment period, as YYYY-MM-DD.")
    )
    shortening_reason = TextAreaField(_l("Special reason for a period shorter than 30 days"))
    postal_rule = RadioField(
        _l("Post sent by the deadline counts when"),
        choices=[
            SelectChoice(PostalRule.arrival.value, _l("it arrives by the deadline (必着)")),
            SelectChoice(PostalRule.postmark.value, _l("it is postmarked by the deadline (消印有効)")),
        ],
        default=PostalRule.arrival.value,
        validators=[InputRequired(message=_l("Choose which date counts for post."))],
    )

    contact_retention_days = IntegerField(
        _l("Days the submitters' contact details are kept after the results are published"),
        validators=[Optional(), NumberRange(min=1, max=3650, message=_l("Enter a number of days from 1 to 3650."))],
    )

    def validate_closes_on(self, field):
        if field.data is not None and self.opens_on.data is not None and field.data < self.opens_on.data:
            raise ValidationError(_l("The last day must be on or after the opening day."))

    def to_details(self) -> ConsultationDetails:
        return ConsultationDetails(
            title=self.title.data or "",
            slug=self.slug.data or "",
            affair=self.affair.data or "",
            department=self.department.data or "",
            system_name=self.system_name.data or "",
            evaluation_group=self.evaluation_group.data or "",
            summary=self.summary.data or "",
            opens_at=start_of_day(self.opens_on.data),
            closes_at=end_of_day(self.closes_on.data),
            shortening_reason=self.shortening_reason.data or None,
            postal_rule=PostalRule(self.postal_rule.data),
            contact_retention_days=self.contact_retention_days.data or current_app.config["CONTACT_RETENTION_DAYS"],
        )


class ImportForm(FlaskForm):
    """The draft's text: a Word file or pasted text. Shown back as a preview before anything is replaced."""

    document = FileField(_l("Word file (.docx)"))
    text = TextAreaField(_l("Or paste the text"))

    def validate_text(self, field):
        if not (field.data or "").strip() and not self.has_file:
            raise ValidationError(_l("Choose a Word file or paste the text of the draft."))

    has_file = False


class ConfirmImportForm(FlaskForm):
    """Replace the sections with the previewed ones, carried in a signed field."""

    payload = HiddenField(validators=[DataRequired(message=_l("Nothing to import; preview the draft first."))])


class MaterialForm(FlaskForm):
    """One file attached to a consultation, public or for the committee only."""

    document = FileField(_l("File (PDF, DOCX, TXT, PNG, JPEG)"))
    title = StringField(
        _l("Title shown with the file"),
        validators=[Optional(), Length(max=300, message=_l("Write the title in at most 300 characters."))],
    )
    kind = RadioField(
        _l("What the file is"),
        choices=[
            SelectChoice(MaterialKind.original.value, _l("The original of the draft (PDF)")),
            SelectChoice(MaterialKind.reference.value, _l("Another material (資料)")),
        ],
        default=MaterialKind.reference.value,
        validators=[InputRequired(message=_l("Choose what the file is."))],
    )
    visibility = RadioField(
        _l("Who may download it"),
        choices=[
            SelectChoice("public", _l("Everyone (shown on the public page)")),
            SelectChoice("committee", _l("The committee only")),
        ],
        default="public",
        validators=[InputRequired(message=_l("Choose who may download the file."))],
    )


class ExtendDeadlineForm(FlaskForm):
    """A later last day for opinions and the reason, both shown to the public (R54)."""

    new_closes_on = DayField(_l("New last day for opinions"), message=_l("Enter the new last day, as YYYY-MM-DD."))
    reason = TextAreaField(
        _l("Reason for the extension (shown to the public)"),
        validators=[
            DataRequired(message=_l("Give the reason for the extension; it is shown to the public.")),
            Length(max=2000, message=_l("Write the reason in at most 2,000 characters.")),
        ],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: a POST with a CSRF token."""


class InspectionForm(FlaskForm):
    """The committee's inspection of the responses: at which meeting, and what it concluded."""

    meeting_id = SelectField(_l("The meeting that inspected the responses"), coerce=int, validate_choice=False)
    outcome = TextAreaField(
        _l("What the committee concluded"),
        validators=[
            DataRequired(message=_l("Write what the committee concluded.")),
            Length(max=4000, message=_l("At most 4,000 characters.")),
        ],
    )
