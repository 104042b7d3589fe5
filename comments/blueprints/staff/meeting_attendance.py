"""Back-office view of a meeting's attendance: each committee member present, absent (and when briefed),
or not recorded yet."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.meeting_forms import attendance_form
from comments.blueprints.views import load, post_change
from comments.domain.attendance import AttendanceEntry, record_attendance
from comments.domain.committee import committee_members
from comments.models import Meeting
from comments.permissions import Permission, require

STATES = {"present": True, "absent": False, "": None}


def _render(meeting: Meeting, members, form):
    rows = [
        (member, form[f"state_{member.id}"], form[f"briefed_on_{member.id}"], form[f"note_{member.id}"])
        for member in members
    ]
    return render_template("staff/meeting_attendance.html", meeting=meeting, form=form, rows=rows)


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def edit_meeting_attendance(meeting_id: int):
    """Record who attended; an absent member's portal then offers the papers and the question deadline."""
    meeting = load(Meeting, meeting_id)
    members = committee_members()
    form = attendance_form(members, meeting)
    if request.method == "GET":
        form.process(formdata=None)
        return _render(meeting, members, form)
    return post_change(
        form,
        lambda: record_attendance(
            meeting,
            [
                AttendanceEntry(
                    user_id=member.id,
                    present=STATES[form[f"state_{member.id}"].data or ""],
                    briefed_on=form[f"briefed_on_{member.id}"].data,
                    note=form[f"note_{member.id}"].data or "",
                )
                for member in members
            ],
            actor=request_actor(),
        ),
        page=lambda: _render(meeting, members, form),
        lock=[meeting],
        then=url_for("staff.show_meeting", meeting_id=meeting.id),
        done=_l("The attendance is saved."),
    )
