"""The forms of the meeting pages: the meeting's details, its agenda items, its papers, the attendance."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FileField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from comments.blueprints.fields import CheckboxesField
from comments.models import MeetingBody

# The value of a select that chooses nothing (no agenda item: a paper of the whole meeting).
NONE = ""
VISIBILITY_CHOICES = [
    SelectChoice("public", _l("Public")),
    SelectChoice("committee", _l("Non-public (members and secretariat only)")),
]


class WallClockField(TimeField):
    """A time of day on the Japan wall clock, as the notice prints it (18:00); says plainly what is wrong."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        text = valuelist[0].strip()
        for pattern in ("%H:%M", "%H:%M:%S"):
            try:
                self.data = datetime.strptime(text, pattern).time()  # noqa: DTZ007 - a wall-clock time, no instant
                return
            except ValueError:
                continue
        self.data = None
        raise ValueError(_l("Enter a time of day as hours and minutes, e.g. 18:00."))


class OptionalDateField(DateField):
    """A day that may be left empty; anything else that is not a day is refused with a plain message."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = datetime.strptime(valuelist[0].strip(), "%Y-%m-%d").date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter the day, e.g. 2015-09-03.")) from None


class MeetingForm(FlaskForm):
    """A committee meeting: what its notice says, and the consultations its packet covers."""

    body = SelectField(
        _l("Body that meets"),
        choices=[
            SelectChoice(MeetingBody.sub_committee.value, _l("Sub-committee (特定個人情報保護評価部会)")),
            SelectChoice(MeetingBody.council.value, _l("Council (情報公開・個人情報保護審議会)")),
        ],
        default=MeetingBody.sub_committee.value,
    )
    number = IntegerField(
        _l("Number of the meeting (第N回)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=9999, message=_l("The number of the meeting is a whole number from 1.")),
        ],
    )
    title = StringField(_l("Title of the meeting"), validators=[Length(max=300, message=_l("At most 300 characters."))])
    held_on = DateField(
        _l("Day of the meeting"), validators=[InputRequired(message=_l("Enter the day, e.g. 2015-09-03."))]
    )
    starts_at = WallClockField(_l("Starts at (Japan time)"), validators=[Optional()])
    ends_at = WallClockField(_l("Ends at (Japan time)"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Length(max=300, message=_l("At most 300 characters."))])
    open_to_public = RadioField(
        _l("Open to the public"),
        choices=[
            SelectChoice("yes", _l("Open: the public may attend")),
            SelectChoice("no", _l("Closed to the public")),
        ],
        default="yes",
    )
    consultations = CheckboxesField(_l("Consultations it inspects"), coerce=int)

    def validate_consultations(self, field):
        # A sub-committee meeting inspects consultations; a council meeting may hear reports only.
        if self.body.data != MeetingBody.council.value and not field.data:
            raise ValidationError(_l("Choose the consultations the meeting inspects."))


class AgendaItemForm(FlaskForm):
    """One item of business, tied to a consultation where it applies."""

    title = StringField(
        _l("Agenda item"),
        validators=[
            InputRequired(message=_l("Give the agenda item a title.")),
            Length(max=300, message=_l("At most 300 characters.")),
        ],
    )
    consultation = SelectField(_l("Consultation it deals with"), choices=[], validate_choice=True)


class PaperForm(FlaskForm):
    """A paper for the meeting or one of its agenda items, from one of three sources."""

    source = RadioField(
        _l("Where the paper comes from"),
        choices=[
            SelectChoice("upload", _l("A file uploaded now")),
            SelectChoice("material", _l("A material of a consultation (the same file, not a copy)")),
            SelectChoice("inquiry", _l("An outside body's answer to an inquiry")),
        ],
        default="upload",
    )
    label = StringField(
        _l("Label (資料1, 参考資料2 ...)"), validators=[Length(max=40, message=_l("At most 40 characters."))]
    )
    title = StringField(_l("Title of the paper"), validators=[Length(max=300, message=_l("At most 300 characters."))])
    agenda_item = SelectField(_l("Agenda item"), choices=[], validate_choice=True)
    visibility = RadioField(_l("Who may read it"), choices=VISIBILITY_CHOICES, default="public")
    document = FileField(_l("File (PDF, DOCX, XLSX, TXT ...)"))
    material = SelectField(_l("Material"), choices=[], validate_choice=True)
    inquiry = SelectField(_l("Inquiry with its answer"), choices=[], validate_choice=True)

    def validate_material(self, field):
        if self.source.data == "material" and not field.data:
            raise ValidationError(_l("Choose the material."))

    def validate_inquiry(self, field):
        if self.source.data == "inquiry" and not field.data:
            raise ValidationError(_l("Choose the inquiry whose answer is the paper."))


class ButtonForm(FlaskForm):
    """Only the CSRF token: a button (move, remove, send the notice)."""


def attendance_form(members, meeting) -> FlaskForm:
    """A form with one line per committee member: present, absent or not known, and for an absent member
    the day they were briefed and a note. Built per request, as the members are."""
    kept = {row.user_id: row for row in meeting.attendance}

    class AttendanceForm(FlaskForm):
        pass

    for member in members:
        row = kept.get(member.id)
        state = "" if row is None else ("present" if row.present else "absent")
        setattr(
            AttendanceForm,
            f"state_{member.id}",
            RadioField(
                member.display_name,
                choices=[
                    SelectChoice("present", _l("Present")),
                    SelectChoice("absent", _l("Absent")),
                    SelectChoice("", _l("Not recorded")),
                ],
                default=state,
                validate_choice=True,
            ),
        )
        setattr(
            AttendanceForm,
            f"briefed_on_{member.id}",
            OptionalDateField(_l("Briefed on"), default=row.briefed_on if row else None),
        )
        setattr(
            AttendanceForm,
            f"note_{member.id}",
            TextAreaField(
                _l("Note"),
                default=row.note if row else "",
                validators=[Length(max=1000, message=_l("At most 1000 characters."))],
            ),
        )
    return AttendanceForm()
