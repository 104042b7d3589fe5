"""The inbox's filter form (GET, no CSRF: it changes nothing), the reveal button (POST, CSRF) and the
redacted copy's form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from comments.blueprints.fields import ANY, ANY_CHOICE, YES_NO_CHOICES, yes_no
from comments.domain.inbox import InboxFilters
from comments.models import Channel, SubmitterKind

CHANNEL_CHOICES = [
    ANY_CHOICE,
    SelectChoice(Channel.web.value, _l("Web form")),
    SelectChoice(Channel.email.value, _l("E-mail")),
    SelectChoice(Channel.upload.value, _l("Upload")),
    SelectChoice(Channel.post.value, _l("Post")),
    SelectChoice(Channel.fax.value, _l("Fax")),
    SelectChoice(Channel.in_person.value, _l("In person")),
]
KIND_CHOICES = [
    ANY_CHOICE,
    SelectChoice(SubmitterKind.citizen.value, _l("Resident, worker or student of the city")),
    SelectChoice(SubmitterKind.organisation.value, _l("Business or organisation")),
    SelectChoice(SubmitterKind.member.value, _l("Committee member")),
    SelectChoice(SubmitterKind.observer.value, _l("Observer")),
    SelectChoice(SubmitterKind.other.value, _l("Other")),
]


class InboxFilterForm(FlaskForm):
    """What to narrow the inbox to; every field is optional."""

    class Meta:
        # Read from the address (GET) and sent to keep a text search (POST, which CSRFProtect checks):
        # it changes nothing of the submissions, and an address without the text may be shared.
        csrf = False

    # The opaque id of the kept text search, for the next page's address (set by the view).
    search_id = ""

    q = StringField(_l("Search the text"), validators=[Optional(), Length(max=200)])
    channel = SelectField(_l("Channel"), choices=CHANNEL_CHOICES, default=ANY)
    submitter_kind = SelectField(_l("Submitter"), choices=KIND_CHOICES, default=ANY)
    late = SelectField(_l("Arrived late"), choices=YES_NO_CHOICES, default=ANY)
    attachments = SelectField(_l("Has attachments"), choices=YES_NO_CHOICES, default=ANY)
    received_from = DateField(_l("Received from (Japan date)"), validators=[Optional()])
    received_to = DateField(_l("Received until (Japan date)"), validators=[Optional()])
    after = HiddenField()

    def to_filters(self) -> InboxFilters:
        return InboxFilters(
            channel=Channel(self.channel.data) if self.channel.data else None,
            submitter_kind=SubmitterKind(self.submitter_kind.data) if self.submitter_kind.data else None,
            late=yes_no(self.late.data),
            has_attachments=yes_no(self.attachments.data),
            received_from=self.received_from.data,
            received_to=self.received_to.data,
            query=(self.q.data or "").strip(),
        )

    def query_args(self) -> dict[str, str]:
        """The filters as URL parameters, for the next-page link: never the searched text, only its id."""
        args = {"search": self.search_id} if self.search_id else {}
        for field in (self.channel, self.submitter_kind, self.late, self.attachments):
            if field.data:
                args[field.name] = field.data
        for field in (self.received_from, self.received_to):
            if field.data:
                args[field.name] = field.data.isoformat()
        return args


class RevealPersonalDataForm(FlaskForm):
    """The "Show personal data" button: a POST with a CSRF token, so a link or prefetch never reveals."""


class RedactedCopyForm(FlaskForm):
    """A redacted copy (黒塗り) to replace an attachment; the original is destroyed (comments/domain/redactions.py)."""

    document = FileField(_l("The redacted copy"))
    reason = TextAreaField(
        _l("What was blacked out"),
        validators=[
            DataRequired(message=_l("Say what was blacked out, e.g. “the individual number on page 2”.")),
            Length(max=500, message=_l("Keep it to 500 characters.")),
        ],
    )
    destroy = BooleanField(
        _l("I have checked the copy, and I understand the file as it arrived is destroyed and cannot be restored"),
        validators=[DataRequired(message=_l("Confirm that the file as it arrived may be destroyed."))],
    )
