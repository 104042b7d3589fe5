"""The back office of the secretariat and the departments. Every view declares its permission."""

from flask import Blueprint

from comments.permissions import guard_blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")
guard_blueprint(bp)

from comments.blueprints.staff import (  # noqa: E402,F401 - registers the routes on bp
    consultations,
    council_report,
    home,
    inbox,
    inquiries,
    intake,
    items,
    meeting_agenda,
    meeting_attendance,
    meetings,
    minutes,
    opinions,
    progress,
    quarantine,
    queue,
    response_templates,
    responses,
    results,
    schedule,
    triage,
)
