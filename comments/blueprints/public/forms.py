"""The public comment form. Input rules live here; the business rules live in domain/intake.py."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.i18n import messages_path
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError

from comments.domain.intake import NUMBER_IN_EMAIL, UNDELIVERABLE_EMAIL, SubmissionDraft
from comments.domain.masking import contains_individual_number
from comments.domain.outbox import deliverable_address
from comments.models import Consultation, SubmitterKind

PUBLIC_SUBMITTER_KINDS = [
    SelectChoice(SubmitterKind.citizen.value, _l("Resident, worker or student of the city")),
    SelectChoice(SubmitterKind.organisation.value, _l("Business or organisation")),
    SelectChoice(SubmitterKind.other.value, _l("Other")),
]


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a choice; the choices check reports it


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _TokenSignedWhenShown(CSRFTokenField):
    """The comment form's CSRF token field, which signs the token for the page only when the page shows it.

    WTForms signs it whenever a form is built, and every opinion builds this one, while an opinion accepted
    is answered with a redirect and never shows it. Nothing is checked differently: the token sent was
    checked by CSRFProtect before the view ran (and by ``validate``, as before); only the token written
    into a page shown again is made later, the same one (Flask-WTF keeps it for the request).
    """

    def process(self, *args, **kwargs):
        HiddenField.process(self, *args, **kwargs)  # CSRFTokenField.process would sign the token here

    def _value(self):
        if self.current_token is None:
            self.current_token = self.csrf_impl.generate_csrf_token(self)
        return self.current_token


class _CommentFormCSRF(FlaskForm.Meta.csrf_class):
    field_class = _TokenSignedWhenShown


class CommentForm(FlaskForm):
    """One citizen's opinion on one consultation."""

    class Meta:
        csrf_class = _CommentFormCSRF

        def get_translations(self, form):
            # WTForms' own messages in the page's language. Flask-WTF would read the catalog from disk on
            # every request; it never changes while the process runs, so it is read once per locale.
            return _wtforms_translations(str(get_locale()))

        # A citizen may write for hours; the token must outlive the writing (R29).
        @property
        def csrf_time_limit(self):
            return timedelta(hours=current_app.config["PUBLIC_FORM_CSRF_HOURS"])

    # The domain checks that a chosen section belongs to the consultation (with a clear message), so the
    # choices are only loaded when the form is shown.
    section_id = SelectField(
        _l("Section your opinion concerns"), coerce=_optional_int, validators=[Optional()], validate_choice=False
    )
    body = TextAreaField(
        _l("Your opinion"),
        validators=[DataRequired(message=_l("Write your opinion in the text box."))],
    )
    submitter_kind = RadioField(
        _l("You are sending as"),
        choices=PUBLIC_SUBMITTER_KINDS,
        default=SubmitterKind.citizen.value,
        validators=[InputRequired(message=_l("Choose who you are."))],
    )
    name = StringField(
        _l("Name (or the organisation's name)"),
        validators=[Length(max=100, message=_l("Write your name in at most 100 characters."))],
    )
    email = StringField(
        _l("E-mail address (for the confirmation mail)"),
        validators=[
            Optional(),
            Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
            Email(message=_l("Enter a valid e-mail address, such as taro@example.jp."), check_deliverability=False),
        ],
    )
    contact = TextAreaField(
        _l("Postal address or telephone number"),
        validators=[Length(max=500, message=_l("Write the address or number in at most 500 characters."))],
    )
    attachments = MultipleFileField(_l("Attachments"))
    consent = BooleanField(
        _l("I have read the notice on the use of personal information and agree to it."),
        validators=[
            DataRequired(message=_l("Read the notice on the use of personal information and tick the box to agree."))
        ],
        # The error summary names a field by this when its label is a whole sentence (macros/forms.html).
        description=_l("Consent"),
    )
    # Set once the citizen has been told that an individual number will be removed (R15).
    number_acknowledged = HiddenField()
    # A field people never see or fill; a bot that fills every field gives itself away.
    website = StringField(_l("Leave this field empty"))

    def __init__(self, *args, consultation: Consultation, **kwargs):
        super().__init__(*args, **kwargs)
        self.consultation = consultation
        max_chars = current_app.config["COMMENT_MAX_CHARS"]
        self.body.validators = [
            *self.body.validators,
            Length(
                max=max_chars,
                message=_l("Write at most %(max)d characters, or attach the rest as a file.", max=max_chars),
            ),
        ]
        if consultation.require_name:
            self.name.validators = [
                DataRequired(message=_l("This consultation asks for your name.")),
                *self.name.validators,
            ]
        self.body.render_kw = {"maxlength": max_chars, "rows": 12}

    def validate_email(self, field):
        """Refused with the form's other errors, before the warning about numbers in the text."""
        if field.data and contains_individual_number(field.data):
            raise ValidationError(NUMBER_IN_EMAIL)
        if field.data and deliverable_address(field.data.strip()) is None and not field.errors:
            raise ValidationError(UNDELIVERABLE_EMAIL)

    def offer_sections(self, sections: list[tuple[int, str]]) -> None:
        """The choices of the section list, set before the form is shown."""
        self.section_id.choices = [SelectChoice("", _l("The whole draft / not specific"))] + [
            SelectChoice(str(section_id), label) for section_id, label in sections
        ]

    def to_draft(self, files) -> SubmissionDraft:
        return SubmissionDraft(
            body=self.body.data or "",
            submitter_kind=SubmitterKind(self.submitter_kind.data),
            section_id=self.section_id.data,
            name=self.name.data or "",
            email=self.email.data or "",
            contact=self.contact.data or "",
            consented=bool(self.consent.data),
            files=files,
        )
