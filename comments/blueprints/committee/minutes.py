"""The minutes in the committee portal: members read the circulated draft (the full text, non-disclosed parts
marked with their grounds) and comment on it by the deadline; the chair finalises it on the committee's
behalf. A draft the secretariat has not circulated yet is not shown (404)."""

from __future__ import annotations

from flask import abort, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from comments.blueprints.actors import request_actor
from comments.blueprints.committee import bp
from comments.blueprints.committee.minutes_forms import FinaliseMinutesForm, MinutesCommentForm
from comments.blueprints.views import load, post_change
from comments.domain.minutes import (
    comment_on_minutes,
    comments_open,
    committee_text,
    current_version,
    finalise_minutes,
    ground_label,
    is_recipient,
    minutes_of,
    visible_to_committee,
)
from comments.domain.minutes_text import MinutesMarkupError
from comments.extensions import db
from comments.models import Meeting, Minutes, MinutesState
from comments.permissions import Permission, require


def _minutes(meeting: Meeting) -> Minutes:
    minutes = minutes_of(meeting)
    if not visible_to_committee(minutes):
        abort(404)
    return minutes


@bp.get("/minutes")
@require(Permission.committee_material_read)
def list_minutes():
    """The minutes circulated to the committee, newest meeting first."""
    rows = db.session.scalars(
        select(Minutes)
        .join(Meeting, Meeting.id == Minutes.meeting_id)
        .where(Minutes.state != MinutesState.drafting)
        .order_by(Meeting.held_on.desc(), Meeting.id.desc())
    ).all()
    return render_template("committee/minutes_list.html", minutes_list=rows)


def _render(meeting, minutes, form=None):
    version = current_version(minutes)
    try:
        text, text_error = committee_text(version), None
    except MinutesMarkupError as error:
        text, text_error = None, error.message
    return render_template(
        "committee/minutes_show.html",
        meeting=meeting,
        minutes=minutes,
        version=version,
        text=text,
        text_error=text_error,
        ground_label=ground_label,
        may_comment=is_recipient(minutes, current_user),
        comments_open=comments_open(minutes),
        own_comments=[comment for comment in minutes.comments if comment.author_id == current_user.id],
        form=form or MinutesCommentForm(formdata=None),
        finalise_form=FinaliseMinutesForm(formdata=None),
    )


@bp.get("/meetings/<int:meeting_id>/minutes")
@require(Permission.committee_material_read)
def show_minutes(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    return _render(meeting, _minutes(meeting))


@bp.post("/meetings/<int:meeting_id>/minutes/comments")
@require(Permission.committee_material_read)
def comment_minutes(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    minutes = _minutes(meeting)
    form = MinutesCommentForm()
    return post_change(
        form,
        lambda: comment_on_minutes(minutes, current_user, form.body.data, actor=request_actor()),
        page=lambda: _render(meeting, minutes, form),
        then=url_for("committee.show_minutes", meeting_id=meeting.id),
        done=_l("Your comment is sent to the secretariat."),
        lock=[minutes],
        field=form.body,
    )


@bp.post("/meetings/<int:meeting_id>/minutes/finalise")
@require(Permission.minutes_finalise)
def finalise(meeting_id: int):
    """The chair finalises the circulated draft; the secretariat then publishes it."""
    meeting = load(Meeting, meeting_id)
    minutes = _minutes(meeting)
    return post_change(
        FinaliseMinutesForm(),
        lambda: finalise_minutes(minutes, current_user, actor=request_actor()),
        page=None,
        then=url_for("committee.show_minutes", meeting_id=meeting.id),
        done=_l("The minutes are finalised. The secretariat will publish them."),
        lock=[minutes],
    )
