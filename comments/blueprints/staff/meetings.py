"""Back-office views: the committee's meetings and their inspection packets, as a page to print and as
Word, CSV and Excel files; the final packet is refused while any item lacks an approved response (R03).

None of these pages shows a submitter's personal data: items appear by number and gist, the packet
through ``build_packet``, which is never given a name, an address or an e-mail address (R07).
"""

from __future__ import annotations

from flask import abort, current_app, make_response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.reauthentication import ask_for_password
from comments.blueprints.staff import bp
from comments.blueprints.staff.meeting_forms import ButtonForm, MeetingForm
from comments.blueprints.views import commit_change, load, post_change
from comments.domain.meetings import MeetingDetails, record_packet_export, send_meeting_notice, update_meeting
from comments.domain.meetings import create_meeting as make_meeting
from comments.domain.packet import PacketNotReadyError, build_packet, items_lacking_approval
from comments.exports.packet import PACKET_FORMATS, PacketFormat
from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, Meeting, MeetingBody
from comments.permissions import Permission, require


def _packet_locale() -> str:
    """The packet speaks the viewer's language: Japanese, or English for those who chose it."""
    return "en" if str(get_locale()) == "en" else "ja"


def _consultation_choices() -> list[SelectChoice]:
    consultations = db.session.scalars(
        select(Consultation)
        .where(Consultation.status != ConsultationStatus.draft)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc())
    )
    return [SelectChoice(consultation.id, consultation.title) for consultation in consultations]


def _render_meetings(form: MeetingForm):
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc())).all()
    return render_template("staff/meeting_list.html", meetings=meetings, form=form)


def _details(form: MeetingForm) -> MeetingDetails:
    return MeetingDetails(
        body=MeetingBody(form.body.data),
        number=form.number.data,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        place=form.place.data or "",
        open_to_public=form.open_to_public.data != "no",
    )


def _chosen_consultations(form: MeetingForm) -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).where(Consultation.id.in_(form.consultations.data or []))))


@bp.get("/meetings")
@require(Permission.consultation_manage)
def list_meetings():
    """Every meeting with its date and consultations, and the form to create one."""
    form = MeetingForm(formdata=None)
    form.consultations.choices = _consultation_choices()
    return _render_meetings(form)


@bp.post("/meetings")
@require(Permission.consultation_manage)
def create_meeting():
    form = MeetingForm()
    form.consultations.choices = _consultation_choices()
    return post_change(
        form,
        lambda: make_meeting(
            form.title.data,
            form.held_on.data,
            _chosen_consultations(form),
            actor=request_actor(),
            details=_details(form),
        ),
        page=lambda: _render_meetings(form),
        then=lambda meeting: url_for("staff.show_meeting", meeting_id=meeting.id),
        done=_l("The meeting is created."),
    )


def _render_edit(meeting: Meeting, form: MeetingForm):
    return render_template("staff/meeting_edit.html", meeting=meeting, form=form)


@bp.route("/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def edit_meeting(meeting_id: int):
    """Change what the notice of the meeting says: body, number, title, day, times, place, open or closed."""
    meeting = load(Meeting, meeting_id)
    if request.method == "GET":
        form = MeetingForm(
            formdata=None,
            body=meeting.body.value,
            number=meeting.number,
            title=meeting.title,
            held_on=meeting.held_on,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            place=meeting.place,
            open_to_public="yes" if meeting.open_to_public else "no",
            consultations=[consultation.id for consultation in meeting.consultations],
        )
        form.consultations.choices = _consultation_choices()
        return _render_edit(meeting, form)
    form = MeetingForm()
    form.consultations.choices = _consultation_choices()
    return post_change(
        form,
        lambda: update_meeting(
            meeting,
            form.title.data,
            form.held_on.data,
            _chosen_consultations(form),
            details=_details(form),
            actor=request_actor(),
        ),
        page=lambda: _render_edit(meeting, form),
        lock=[meeting],
        then=url_for("staff.show_meeting", meeting_id=meeting.id),
        done=_l("The meeting's details are saved."),
    )


@bp.post("/meetings/<int:meeting_id>/notice")
@require(Permission.consultation_manage)
def send_notice(meeting_id: int):
    """Send the notice of the meeting to the committee's members (again, after a change)."""
    meeting = load(Meeting, meeting_id)
    return post_change(
        ButtonForm(),
        lambda: send_meeting_notice(
            meeting, link=url_for("committee.show_meeting", meeting_id=meeting.id), actor=request_actor()
        ),
        page=None,
        lock=[meeting],
        then=url_for("staff.show_meeting", meeting_id=meeting.id),
        done=lambda count: _l("The notice is sent to %(count)d member(s).", count=count),
    )


@bp.get("/meetings/<int:meeting_id>")
@require(Permission.consultation_manage)
def show_meeting(meeting_id: int):
    """The meeting's consultations, whether its packet is ready, the items still lacking an approved
    response, and the packet to print or download."""
    meeting = load(Meeting, meeting_id)
    lacking = items_lacking_approval(meeting)
    return render_template("staff/meeting_show.html", meeting=meeting, packet_ready=not lacking, lacking=lacking)


def _packet_response(meeting: Meeting, packet_format: PacketFormat, *, final: bool):
    """Build the packet in ``packet_format`` and record that it left the system (every export is audited)."""
    packet = build_packet(
        meeting, final=final, locale=_packet_locale(), organisation=current_app.config["ORGANISATION_NAME"]
    )
    data = packet_format.build(packet)
    commit_change(
        lambda: record_packet_export(
            meeting, fmt=packet_format.name, final=final, draft=packet.draft, actor=request_actor()
        ),
        lock=[meeting],
    )
    response = make_response(data)
    response.headers["Content-Type"] = packet_format.media_type
    if packet_format.download:
        name = f"packet-{meeting.held_on:%Y%m%d}-{'final' if final else 'draft'}.{packet_format.name}"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/meetings/<int:meeting_id>/packet")
@require(Permission.consultation_manage)
def print_packet(meeting_id: int):
    """The packet as a page to print on A4 landscape, marked 案 / DRAFT on every page while a draft, made
    from the very title, columns and cells of the Word file (exports/packet_table.py)."""
    return _packet_response(load(Meeting, meeting_id), PACKET_FORMATS["print"], final=False)


@bp.get("/meetings/<int:meeting_id>/packet.<fmt>")
@require(Permission.consultation_manage)
def download_packet(meeting_id: int, fmt: str):
    """The packet as a Word, CSV or Excel file; ``?final=1`` asks for the final packet, refused with 409 and the
    items lacking approval while any item lacks one (R03), and given only to someone who entered their
    password in the last five minutes (R27). Every download is recorded."""
    meeting = load(Meeting, meeting_id)
    packet_format = PACKET_FORMATS.get(fmt)
    if packet_format is None or not packet_format.download:
        abort(404)
    final = request.args.get("final") == "1"
    if final and (asked := ask_for_password()) is not None:
        return asked
    try:
        return _packet_response(meeting, packet_format, final=final)
    except PacketNotReadyError as error:
        page = render_template(
            "staff/meeting_packet_not_ready.html",
            meeting=meeting,
            message=error.message,
            lacking=items_lacking_approval(meeting),
        )
        return page, 409
