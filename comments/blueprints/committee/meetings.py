"""The committee portal's meetings: upcoming and past meetings with their details, agenda and papers (the
non-public ones too, each reading recorded), and, for a member who was absent, the papers and the deadline
for questions, the same as for the members present."""

from __future__ import annotations

from flask import render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.committee import bp
from comments.blueprints.uploads import download_response
from comments.blueprints.views import commit_change, load
from comments.domain.attendance import absences_of, attendance_of
from comments.domain.committee import UNDER_INSPECTION
from comments.domain.meeting_papers import record_paper_read
from comments.domain.meetings import meeting_consultations
from comments.extensions import db
from comments.models import Meeting, MeetingPaper
from comments.permissions import Permission, require

# Past meetings listed on the portal's home; older ones are reached from the public list of meetings.
PAST_MEETINGS_SHOWN = 10


def _portal_meetings() -> dict:
    """Upcoming meetings (soonest first), the latest past ones, and the member's absences still open."""
    today = clock.japan_today()
    upcoming = db.session.scalars(
        select(Meeting).where(Meeting.held_on >= today).order_by(Meeting.held_on, Meeting.starts_at, Meeting.id)
    ).all()
    past = db.session.scalars(
        select(Meeting)
        .where(Meeting.held_on < today)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
        .limit(PAST_MEETINGS_SHOWN)
    ).all()
    absences = absences_of(current_user, under_inspection=UNDER_INSPECTION) if current_user.is_authenticated else []
    return {"upcoming": upcoming, "past": past, "absences": absences}


@bp.context_processor
def portal_meetings_helper() -> dict:
    # A function, not the lists: only a page that includes committee/_meetings.html runs the queries.
    return {"portal_meetings": _portal_meetings}


@bp.get("/meetings/<int:meeting_id>")
@require(Permission.committee_material_read)
def show_meeting(meeting_id: int):
    """A meeting's details, agenda and every paper; an absent member is offered the deadline for questions."""
    meeting = load(Meeting, meeting_id)
    attendance = attendance_of(meeting, current_user)
    consultations = meeting_consultations(meeting)
    return render_template(
        "committee/meeting.html",
        meeting=meeting,
        attendance=attendance,
        open_consultations=[c for c in consultations if c.status in UNDER_INSPECTION],
        can_ask=current_user.can(Permission.committee_question_send),
    )


@bp.get("/meetings/<int:meeting_id>/papers/<int:paper_id>")
@require(Permission.committee_material_read)
def read_meeting_paper(meeting_id: int, paper_id: int):
    """A paper's file, or the answer it carries as a page; a non-public one's reading is recorded."""
    meeting = load(Meeting, meeting_id)
    paper = load(MeetingPaper, paper_id, visible=lambda found: found.meeting_id == meeting.id)
    if not paper.public:  # a public paper's reading is not recorded, so takes no write lock
        commit_change(lambda: record_paper_read(paper, actor=request_actor(), where="committee"))
    if paper.sha256:
        return download_response(
            paper.sha256, paper.filename or "paper", paper.content_type or "application/octet-stream"
        )
    return render_template(
        "public/meeting_paper.html",
        meeting=meeting,
        paper=paper,
        back_url=url_for("committee.show_meeting", meeting_id=meeting.id),
    )
