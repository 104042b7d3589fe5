"""Back-office views: inquiries to outside bodies, the progress of the responses, and the committee's
meetings with their inspection packets (issue 5, points 4, 6 and 7).

Thin views: load (404), authorize, validate the form, one domain call, commit once, redirect or render.
None of these pages shows a submitter's personal data: items appear by number and gist, the packet
through ``build_packet``, which is never given a name, an address or an e-mail address (R07).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from flask import abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError
from wtforms import SelectChoice

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.staff import bp
from comments.blueprints.staff.meeting_forms import AnswerForm, InquiryForm, MeetingForm, answer_form_prefix
from comments.domain import DomainError, progress
from comments.domain.inbox import can_read_submissions
from comments.domain.inquiries import record_answer, record_inquiry
from comments.domain.meetings import create_meeting as make_meeting
from comments.domain.meetings import record_packet_export
from comments.domain.packet import PacketNotReadyError, build_packet, items_lacking_approval
from comments.domain.responses import can_see_department
from comments.exports.packet import PACKET_FORMATS, PacketFormat
from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, Inquiry, Item, Meeting
from comments.permissions import Permission, require
from comments.transactions import begin_write, read_before_write

GIST_CHOICE_CHARS = 60


def _response_url(item_id: int) -> str | None:
    """The item's response page, or None while that page does not exist in this build."""
    try:
        return url_for("staff.show_response", item_id=item_id)
    except BuildError:
        return None


def _packet_locale() -> str:
    """The packet speaks the viewer's language: Japanese, or English for those who chose it."""
    return "en" if str(get_locale()) == "en" else "ja"


def _shorten(text: str, limit: int = GIST_CHOICE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Inquiries (point 4) ------------------------------------------------------------------------------


def _load_consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def _consultation_items(consultation: Consultation) -> list[Item]:
    return list(db.session.scalars(select(Item).where(Item.consultation_id == consultation.id).order_by(Item.number)))


def _offer_items(form: InquiryForm, items: list[Item]) -> None:
    form.items.choices = [SelectChoice(item.id, f"{item.number}: {_shorten(item.gist)}") for item in items]


def _answer_form(inquiry: Inquiry) -> AnswerForm:
    """The answer form of one inquiry as shown, holding the answer recorded so far (never the request's)."""
    return AnswerForm(
        formdata=None,
        prefix=answer_form_prefix(inquiry.id),
        data={"answer": inquiry.answer, "answered_on": inquiry.answered_on, "public": inquiry.answer_public},
    )


def _render_inquiries(
    consultation: Consultation,
    *,
    form: InquiryForm | None = None,
    failed_answer: tuple[int, AnswerForm] | None = None,
    status: int = 200,
):
    g.no_store = True
    if form is None:
        form = InquiryForm(formdata=None)
        _offer_items(form, _consultation_items(consultation))
    inquiries = list(
        db.session.scalars(
            select(Inquiry)
            .where(Inquiry.consultation_id == consultation.id)
            .order_by(Inquiry.sent_on.desc(), Inquiry.id.desc())
        )
    )
    answer_forms = {inquiry.id: _answer_form(inquiry) for inquiry in inquiries}
    if failed_answer is not None:
        answer_forms[failed_answer[0]] = failed_answer[1]
    response_urls = {item.id: _response_url(item.id) for inquiry in inquiries for item in inquiry.items}
    return (
        render_template(
            "staff/inquiry_list.html",
            consultation=consultation,
            form=form,
            inquiries=inquiries,
            answer_forms=answer_forms,
            failed_answer_form=failed_answer[1] if failed_answer else None,
            response_urls=response_urls,
        ),
        status,
    )


@bp.get("/consultations/<int:consultation_id>/inquiries")
@require(Permission.consultation_manage)
def list_inquiries(consultation_id: int):
    """The consultation's inquiries with their answers, and the forms to record one and its answer."""
    return _render_inquiries(_load_consultation(consultation_id))


@bp.post("/consultations/<int:consultation_id>/inquiries")
@require(Permission.consultation_manage)
def add_inquiry(consultation_id: int):
    read_before_write()
    consultation = _load_consultation(consultation_id)
    form = InquiryForm()
    _offer_items(form, _consultation_items(consultation))
    if not form.validate():
        return _render_inquiries(consultation, form=form, status=422)
    begin_write()
    items = list(
        db.session.scalars(
            select(Item)
            .where(Item.consultation_id == consultation.id, Item.id.in_(form.items.data))
            .order_by(Item.number)
        )
    )
    try:
        inquiry = record_inquiry(
            items,
            body_name=form.body_name.data,
            question=form.question.data,
            sent_on=form.sent_on.data,
            sent_how=form.sent_how.data,
            created_by=current_user,
            actor=request_actor(),
        )
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error)
        return _render_inquiries(consultation, form=form, status=422)
    inquiry_id = inquiry.id
    db.session.commit()
    flash(_l("The inquiry is recorded."))
    return redirect(
        url_for("staff.list_inquiries", consultation_id=consultation_id, _anchor=f"inquiry-{inquiry_id}"), code=303
    )


@bp.post("/inquiries/<int:inquiry_id>/answer")
@require(Permission.consultation_manage)
def answer_inquiry(inquiry_id: int):
    read_before_write()
    inquiry = db.session.get(Inquiry, inquiry_id)
    if inquiry is None:
        abort(404)
    consultation = _load_consultation(inquiry.consultation_id)
    form = AnswerForm(prefix=answer_form_prefix(inquiry.id))
    if not form.validate():
        return _render_inquiries(consultation, failed_answer=(inquiry.id, form), status=422)
    begin_write()
    db.session.refresh(inquiry)
    try:
        record_answer(
            inquiry,
            answer=form.answer.data,
            answered_on=form.answered_on.data,
            public=bool(form.public.data),
            actor=request_actor(),
        )
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error)
        return _render_inquiries(consultation, failed_answer=(inquiry_id, form), status=422)
    consultation_id = consultation.id
    db.session.commit()
    flash(_l("The answer is recorded."))
    return redirect(
        url_for("staff.list_inquiries", consultation_id=consultation_id, _anchor=f"inquiry-{inquiry_id}"), code=303
    )


# --- Progress (point 6) -------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 640, 260
CHART_LEFT, CHART_RIGHT, CHART_TOP, CHART_BOTTOM = 56, 24, 16, 44
CHART_MAX_DAY_LABELS = 6


def _nice_step(top: int, ticks: int = 4) -> int:
    """A whole-number step for the value axis: about ``ticks`` steps reach ``top``."""
    return max(1, math.ceil(top / ticks))


def approval_chart(days: list[progress.ApprovalDay]) -> dict | None:
    """The geometry of the cumulative-approvals step line, drawn as SVG by the template (no script).

    The time axis runs from the day before the first approval (nothing approved yet) to the day after
    the last one, with one point per row of the data table, so the chart and the table hold the same
    numbers.
    """
    if not days:
        return None
    start: date = days[0].day - timedelta(days=1)
    end: date = days[-1].day + timedelta(days=1)
    span = (end - start).days
    plot_width = CHART_WIDTH - CHART_LEFT - CHART_RIGHT
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    step = _nice_step(days[-1].cumulative)
    top = step * math.ceil(days[-1].cumulative / step)

    def x(day: date) -> float:
        return round(CHART_LEFT + plot_width * (day - start).days / span, 1)

    def y(value: int) -> float:
        return round(CHART_TOP + plot_height * (1 - value / top), 1)

    path = [f"M {x(start)} {y(0)}"]
    path.extend(f"H {x(entry.day)} V {y(entry.cumulative)}" for entry in days)
    path.append(f"H {x(end)}")
    every = max(1, math.ceil(len(days) / CHART_MAX_DAY_LABELS))
    labelled = [entry for index, entry in enumerate(days) if index % every == 0]
    if labelled[-1] is not days[-1]:
        labelled.append(days[-1])
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": CHART_LEFT,
        "right": CHART_WIDTH - CHART_RIGHT,
        "top": CHART_TOP,
        "bottom": CHART_HEIGHT - CHART_BOTTOM,
        "path": " ".join(path),
        "points": [{"x": x(entry.day), "y": y(entry.cumulative), "entry": entry} for entry in days],
        "value_ticks": [{"value": value, "y": y(value)} for value in range(0, top + 1, step)],
        "day_ticks": [{"day": entry.day, "x": x(entry.day)} for entry in labelled],
        "first": days[0].day,
        "last": days[-1].day,
        "total": days[-1].cumulative,
    }


@bp.get("/consultations/<int:consultation_id>/progress")
@require(Permission.submission_read)
def show_progress(consultation_id: int):
    """The items of a consultation by the state of their response, by department and by due date; the
    overdue items; and the approvals over time, as a chart and as a table of the same numbers."""
    g.no_store = True
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or not can_read_submissions(current_user, consultation):
        abort(404)
    today = clock.japan_today()
    overdue = progress.overdue_items(consultation, today)
    approvals = progress.approvals_by_day(consultation)
    return render_template(
        "staff/progress.html",
        consultation=consultation,
        today=today,
        states=progress.STATES,
        state_label=progress.state_label,
        by_state=progress.counts_by_state(consultation),
        by_department=progress.counts_by_department(consultation),
        by_due_date=progress.counts_by_due_date(consultation),
        overdue=overdue,
        overdue_urls={
            row.item_id: _response_url(row.item_id)
            for row in overdue
            if can_see_department(current_user, row.department_id)
        },
        approvals=approvals,
        chart=approval_chart(approvals),
        may_manage=current_user.can(Permission.consultation_manage),
    )


# --- Meetings and packets (point 7) -------------------------------------------------------------------


def _consultation_choices() -> list[SelectChoice]:
    consultations = db.session.scalars(
        select(Consultation)
        .where(Consultation.status != ConsultationStatus.draft)
        .order_by(Consultation.opens_at.desc(), Consultation.id.desc())
    )
    return [SelectChoice(consultation.id, consultation.title) for consultation in consultations]


def _render_meetings(form: MeetingForm, status: int = 200):
    g.no_store = True
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc())).all()
    return render_template("staff/meeting_list.html", meetings=meetings, form=form), status


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
    read_before_write()
    form = MeetingForm()
    form.consultations.choices = _consultation_choices()
    if not form.validate():
        return _render_meetings(form, 422)
    begin_write()
    consultations = list(db.session.scalars(select(Consultation).where(Consultation.id.in_(form.consultations.data))))
    try:
        meeting = make_meeting(form.title.data, form.held_on.data, consultations, actor=request_actor())
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error)
        return _render_meetings(form, 422)
    meeting_id = meeting.id
    db.session.commit()
    flash(_l("The meeting is created."))
    return redirect(url_for("staff.show_meeting", meeting_id=meeting_id), code=303)


def _load_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def _lacking_with_links(meeting: Meeting):
    lacking = items_lacking_approval(meeting)
    urls = {item.id: _response_url(item.id) for _consultation, items in lacking for item in items}
    return lacking, urls


@bp.get("/meetings/<int:meeting_id>")
@require(Permission.consultation_manage)
def show_meeting(meeting_id: int):
    """The meeting's consultations, whether its packet is ready, the items still lacking an approved
    response, and the packet to print or download."""
    g.no_store = True
    meeting = _load_meeting(meeting_id)
    lacking, urls = _lacking_with_links(meeting)
    return render_template(
        "staff/meeting_show.html", meeting=meeting, packet_ready=not lacking, lacking=lacking, response_urls=urls
    )


def _packet_response(meeting: Meeting, packet_format: PacketFormat, *, final: bool):
    """Build the packet in ``packet_format`` and record that it left the system (every export is audited)."""
    packet = build_packet(
        meeting, final=final, locale=_packet_locale(), organisation=current_app.config["ORGANISATION_NAME"]
    )
    data = packet_format.build(packet)
    begin_write()
    record_packet_export(meeting, fmt=packet_format.name, final=final, draft=packet.draft, actor=request_actor())
    db.session.commit()
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
    g.no_store = True
    return _packet_response(_load_meeting(meeting_id), PACKET_FORMATS["print"], final=False)


@bp.get("/meetings/<int:meeting_id>/packet.<fmt>")
@require(Permission.consultation_manage)
def download_packet(meeting_id: int, fmt: str):
    """The packet as a Word or CSV file; ``?final=1`` asks for the final packet, refused with 409 and the
    items lacking approval while any item lacks one (R03). Every download is recorded."""
    g.no_store = True
    meeting = _load_meeting(meeting_id)
    packet_format = PACKET_FORMATS.get(fmt)
    if packet_format is None or not packet_format.download:
        abort(404)
    final = request.args.get("final") == "1"
    try:
        return _packet_response(meeting, packet_format, final=final)
    except PacketNotReadyError as error:
        lacking, urls = _lacking_with_links(meeting)
        page = render_template(
            "staff/meeting_packet_not_ready.html",
            meeting=meeting,
            message=error.message,
            lacking=lacking,
            response_urls=urls,
        )
        return page, 409
