"""The committee portal's report to the council and the committee's opinions: every member reads the report
(drafts too) and the opinions with the city's answers; the chair approves the report on the committee's
behalf, which freezes it and records the schedule's step."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from comments.blueprints.actors import request_actor
from comments.blueprints.committee import bp
from comments.blueprints.council_report_files import council_report_download
from comments.blueprints.views import load, post_change
from comments.domain.council_report import approve_report, report_of, report_opinions
from comments.domain.opinions import opinions_carried_to, opinions_raised_at
from comments.extensions import db
from comments.models import Consultation, CouncilReport, CouncilReportState, Meeting
from comments.permissions import Permission, require


class ReportActionForm(FlaskForm):
    """The chair's approval: one button, its CSRF token only."""


def _reports() -> list[CouncilReport]:
    """Every report to the council, latest changed first."""
    return list(
        db.session.scalars(select(CouncilReport).order_by(CouncilReport.updated_at.desc(), CouncilReport.id.desc()))
    )


def _meeting_opinions(meeting: Meeting) -> dict:
    return {"raised": opinions_raised_at(meeting), "carried_in": opinions_carried_to(meeting)}


@bp.context_processor
def council_report_helpers() -> dict:
    # Functions, not lists: only a page that includes the partials runs the queries.
    return {"portal_council_reports": _reports, "portal_meeting_opinions": _meeting_opinions}


def _report(consultation_id: int) -> tuple[Consultation, CouncilReport]:
    """The consultation and its report; not found until the secretariat drafted one."""
    consultation = load(Consultation, consultation_id, visible=lambda found: report_of(found) is not None)
    return consultation, report_of(consultation)


def _render(consultation: Consultation, report: CouncilReport, form: ReportActionForm | None = None):
    return render_template(
        "committee/council_report.html",
        consultation=consultation,
        report=report,
        opinions=report_opinions(consultation, as_of=report.approved_at),
        form=form or ReportActionForm(formdata=None),
        can_approve=current_user.can(Permission.council_report_approve) and report.state == CouncilReportState.draft,
    )


@bp.get("/consultations/<int:consultation_id>/council-report")
@require(Permission.committee_material_read)
def show_council_report(consultation_id: int):
    """The report as drafted or approved, with the opinions and answers it lists; the chair's approval form."""
    return _render(*_report(consultation_id))


@bp.post("/consultations/<int:consultation_id>/council-report/approve")
@require(Permission.council_report_approve)
def approve_council_report(consultation_id: int):
    consultation, report = _report(consultation_id)
    form = ReportActionForm()
    return post_change(
        form,
        lambda: approve_report(report, current_user, actor=request_actor()),
        page=lambda: _render(consultation, report, form),
        lock=[report],
        then=url_for("committee.show_council_report", consultation_id=consultation.id),
        done=_l("The report is approved. The secretariat sends it to the council."),
    )


@bp.get("/consultations/<int:consultation_id>/council-report.docx")
@require(Permission.committee_material_read)
def download_council_report(consultation_id: int):
    """The report as a Word file; every download is recorded."""
    return council_report_download(_report(consultation_id)[1])
