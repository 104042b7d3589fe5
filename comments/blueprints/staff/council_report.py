"""Back-office views: the sub-committee's report to the council on one consultation. The secretariat drafts it
(assembled from the consultation, the committee's opinions and answers and the comment results), edits it
while it is a draft, and exports it as a Word file; the chair approves it in the committee portal."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.council_report_files import council_report_download
from comments.blueprints.staff import bp
from comments.blueprints.staff.opinion_forms import CouncilReportForm, ReportActionForm
from comments.blueprints.views import load, post_change
from comments.dates import calendar_day
from comments.domain.council_report import draft_report, report_of, report_opinions, update_report
from comments.extensions import db
from comments.models import Consultation, CouncilReport, CouncilReportState, Meeting, MeetingBody
from comments.permissions import Permission, require


def _organisation() -> str:
    return current_app.config["ORGANISATION_NAME"]


def results_url(consultation: Consultation) -> str:
    """The public results page, for the report's text, once the results are published."""
    if consultation.results_published_at is None:
        return ""
    return url_for("public.show_results", slug=consultation.slug, _external=True)


def _meeting_choices() -> list[SelectChoice]:
    """Council meetings first (the report goes to one), then the others, latest first."""
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc())).all()
    ordered = [m for m in meetings if m.body == MeetingBody.council] + [
        m for m in meetings if m.body != MeetingBody.council
    ]
    return [SelectChoice("", _l("Not decided yet"))] + [
        SelectChoice(meeting.id, _l("%(text)s (%(note)s)", text=meeting.title, note=calendar_day(meeting.held_on)))
        for meeting in ordered
    ]


def _edit_form(report: CouncilReport | None) -> CouncilReportForm:
    data = {}
    if report is not None:
        data = {
            "title": report.title,
            "addressee": report.addressee,
            "dated_on": report.dated_on,
            "meeting_id": report.meeting_id,
            "body": report.body,
        }
    form = CouncilReportForm(formdata=None, data=data)
    form.meeting_id.choices = _meeting_choices()
    return form


def _render_report(consultation: Consultation, *, form: CouncilReportForm | None = None, draft_form=None):
    report = report_of(consultation)
    return render_template(
        "staff/council_report.html",
        consultation=consultation,
        report=report,
        form=form or _edit_form(report),
        draft_form=draft_form or ReportActionForm(formdata=None),
        opinions=report_opinions(consultation, as_of=report.approved_at if report and report.approved_at else None),
        editable=report is not None and report.state == CouncilReportState.draft,
    )


@bp.get("/consultations/<int:consultation_id>/council-report")
@require(Permission.consultation_manage)
def show_council_report(consultation_id: int):
    """The report to the council on the consultation: where it stands, its text, the form to edit the draft,
    and the Word file."""
    return _render_report(load(Consultation, consultation_id))


@bp.post("/consultations/<int:consultation_id>/council-report/draft")
@require(Permission.consultation_manage)
def draft_council_report(consultation_id: int):
    """Draft the report, or assemble the draft's text again from what the service holds now."""
    consultation = load(Consultation, consultation_id)
    form = ReportActionForm()
    return post_change(
        form,
        lambda: draft_report(
            consultation, request_actor(), organisation=_organisation(), results_url=results_url(consultation)
        ),
        page=lambda: _render_report(consultation, draft_form=form),
        lock=[consultation],
        then=url_for("staff.show_council_report", consultation_id=consultation.id),
        done=_l("The draft report is assembled. Read it through and edit it before the chair approves it."),
    )


@bp.post("/consultations/<int:consultation_id>/council-report")
@require(Permission.consultation_manage)
def edit_council_report(consultation_id: int):
    consultation = load(Consultation, consultation_id)
    report = report_of(consultation)
    if report is None:
        return _render_report(consultation), 404
    form = CouncilReportForm()
    form.meeting_id.choices = _meeting_choices()
    return post_change(
        form,
        lambda: update_report(
            report,
            title=form.title.data,
            addressee=form.addressee.data,
            dated_on=form.dated_on.data,
            body=form.body.data,
            meeting=db.session.get(Meeting, form.meeting_id.data) if form.meeting_id.data else None,
            actor=request_actor(),
        ),
        page=lambda: _render_report(consultation, form=form),
        lock=[report],
        then=url_for("staff.show_council_report", consultation_id=consultation.id),
        done=_l("The draft report is saved."),
    )


@bp.get("/consultations/<int:consultation_id>/council-report.docx")
@require(Permission.consultation_manage)
def download_council_report(consultation_id: int):
    consultation = load(Consultation, consultation_id)
    report = report_of(consultation)
    if report is None:
        return _render_report(consultation), 404
    return council_report_download(report)
