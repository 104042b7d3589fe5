"""Keying in post, fax, in-person and forwarded e-mail submissions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from comments.models import Channel, SubmitterKind

STAFF_CHANNELS = [
    SelectChoice(Channel.post.value, _l("Post")),
    SelectChoice(Channel.fax.value, _l("Fax")),
    SelectChoice(Channel.in_person.value, _l("In person")),
    SelectChoice(Channel.email.value, _l("E-mail (forwarded)")),
]
STAFF_SUBMITTER_KINDS = [
    SelectChoice(SubmitterKind.citizen.value, _l("Resident, worker or student of the city")),
    SelectChoice(SubmitterKind.organisation.value, _l("Business or organisation")),
    SelectChoice(SubmitterKind.member.value, _l("Committee member")),
    SelectChoice(SubmitterKind.observer.value, _l("Observer")),
    SelectChoice(SubmitterKind.other.value, _l("Other")),
]


class PaperSubmissionForm(FlaskForm):
    channel = RadioField(
        _l("How it came"), choices=STAFF_CHANNELS, validators=[InputRequired(message=_l("Choose how it came."))]
    )
    arrived_on = DateField(
        _l("Day it arrived"), validators=[InputRequired(message=_l("Enter the day it arrived, e.g. 2015-07-21."))]
    )
    postmarked_on = DateField(_l("Postmark (post only)"), validators=[Optional()])
    submitter_kind = RadioField(
        _l("Sent by"),
        choices=STAFF_SUBMITTER_KINDS,
        default=SubmitterKind.citizen.value,
        validators=[InputRequired(message=_l("Choose who sent it."))],
    )
    # A committee member's question received by fax, post or at a briefing, entered on their behalf.
    member_id = SelectField(_l("On behalf of a committee member"), coerce=int, default=0)
    body = TextAreaField(
        _l("Text, as written"), validators=[DataRequired(message=_l("Key in the text of the submission."))]
    )
    name = StringField(
        _l("Name (or the organisation's name)"), validators=[Length(max=100, message=_l("At most 100 characters."))]
    )
    email = StringField(_l("E-mail address"), validators=[Length(max=254, message=_l("At most 254 characters."))])
    contact = TextAreaField(
        _l("Postal address or telephone number"), validators=[Length(max=500, message=_l("At most 500 characters."))]
    )
    scans = MultipleFileField(_l("Scan of the original"))


NOT_A_MEMBER = 0


def offer_members(form: PaperSubmissionForm, members) -> None:
    form.member_id.choices = [
        (NOT_A_MEMBER, _l("No: someone else (choose “Sent by” above)")),
        *[(member.id, member.display_name) for member in members],
    ]


class LateDecisionForm(FlaskForm):
    included = BooleanField(_l("Include it among the submissions"))
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Write the reason for the decision."))])


class CheckForm(FlaskForm):
    """The second person confirms the transcription matches the scan."""
