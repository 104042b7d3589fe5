"""The published minutes of a meeting, as a page and as a Word file: only the public copy, generated from the
finalised version with each non-disclosed passage replaced by 〔非開示：ground〕. Nothing is shown before the
secretariat publishes (404, as for a meeting that does not exist)."""

from __future__ import annotations

from flask import abort, current_app, make_response, render_template

from comments.blueprints.public import bp
from comments.blueprints.views import load
from comments.dates import calendar_day
from comments.domain.minutes import published_minutes
from comments.exports.minutes_docx import MEDIA_TYPE, build_minutes_docx
from comments.models import Meeting


def _published(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    found = published_minutes(meeting)
    if found is None:
        abort(404)
    return meeting, *found


@bp.app_template_global("published_minutes_of")
def published_minutes_of(meeting: Meeting):
    """(minutes, public copy) of ``meeting`` once published, else None: for the public meeting page."""
    return published_minutes(meeting)


@bp.get("/meetings/<int:meeting_id>/minutes")
def show_minutes(meeting_id: int):
    """The public copy of the meeting's minutes."""
    meeting, minutes, text = _published(meeting_id)
    return render_template("public/minutes_show.html", meeting=meeting, minutes=minutes, text=text)


@bp.get("/meetings/<int:meeting_id>/minutes.docx")
def download_minutes(meeting_id: int):
    """The public copy as a Word file (the city's record is in Japanese, so the file is too)."""
    meeting, _minutes, text = _published(meeting_id)
    facts = [f"開催日：{calendar_day(meeting.held_on, weekday=True, locale='ja')}"]
    if meeting.place:
        facts.append(f"場所：{meeting.place}")
    data = build_minutes_docx(text, title=f"{meeting.title} 議事録", facts=facts)
    response = make_response(data)
    response.headers["Content-Type"] = MEDIA_TYPE
    name = f"minutes-{meeting.held_on:%Y%m%d}.docx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    current_app.logger.info("public minutes downloaded", extra={"meeting_id": meeting.id})
    return response
