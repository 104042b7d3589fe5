"""The public's view of the committee's meetings: the list, and each meeting's day, place, whether the
public may attend, its agenda and its PUBLIC papers. A non-public paper is never listed here and its address
answers 404 to everyone on this side, signed-in staff included (they read papers through their own pages)."""

from __future__ import annotations

from flask import render_template, url_for
from sqlalchemy import select

from comments.blueprints.public import bp
from comments.blueprints.uploads import download_response
from comments.blueprints.views import load
from comments.domain.meeting_papers import papers_for, shown_to_public
from comments.extensions import db
from comments.models import Meeting, MeetingPaper


@bp.get("/meetings")
def list_meetings():
    """Every meeting, latest first."""
    meetings = db.session.scalars(select(Meeting).order_by(Meeting.held_on.desc(), Meeting.id.desc())).all()
    return render_template("public/meeting_list.html", meetings=meetings)


@bp.get("/meetings/<int:meeting_id>")
def show_meeting(meeting_id: int):
    """A meeting's details, agenda and public papers; the published minutes follow (templates/public/
    _meeting_minutes.html)."""
    meeting = load(Meeting, meeting_id)
    return render_template("public/meeting_show.html", meeting=meeting, papers=papers_for(meeting, public_only=True))


@bp.get("/meetings/<int:meeting_id>/papers/<int:paper_id>")
def read_meeting_paper(meeting_id: int, paper_id: int):
    """A public paper's file, or the public answer it carries as a page; a non-public one is not found."""
    meeting = load(Meeting, meeting_id)
    paper = load(
        MeetingPaper, paper_id, visible=lambda found: found.meeting_id == meeting.id and shown_to_public(found)
    )
    if paper.sha256:
        return download_response(
            paper.sha256, paper.filename or "paper", paper.content_type or "application/octet-stream"
        )
    return render_template(
        "public/meeting_paper.html",
        meeting=meeting,
        paper=paper,
        back_url=url_for("public.show_meeting", meeting_id=meeting.id),
    )
