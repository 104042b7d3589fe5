"""The report to the council as a Word file, for the back office and the committee portal alike: built by
comments/exports/council_report_docx.py and recorded as it leaves (style rule 11)."""

from __future__ import annotations

from flask import current_app, make_response

from comments.blueprints.actors import request_actor
from comments.blueprints.views import commit_change
from comments.domain.council_report import record_report_export, report_document
from comments.exports.council_report_docx import council_report_docx
from comments.models import CouncilReport, CouncilReportState

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def council_report_download(report: CouncilReport):
    """The report as a Word file to save; the export is recorded in the audit trail."""
    data = council_report_docx(report_document(report, organisation=current_app.config["ORGANISATION_NAME"]))
    commit_change(lambda: record_report_export(report, fmt="docx", actor=request_actor()), lock=[report])
    response = make_response(data)
    response.headers["Content-Type"] = DOCX_TYPE
    state = "approved" if report.state == CouncilReportState.approved else "draft"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="council-report-{report.consultation_id}-{state}.docx"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
