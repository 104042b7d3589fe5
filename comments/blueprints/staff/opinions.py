"""Back-office views: the committee's main opinions at a meeting (主な意見) and the city's answers.

The secretariat records them at the meeting where they were raised, answers them there or carries them to a
named later meeting, and closes a carried one at that meeting. The meeting's page shows both lists with the
forms (templates/staff/_meeting_opinions.html); a refused form is shown again, with its error, on the
opinions page of the meeting or the page of the opinion, answered 422.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.opinion_forms import (
    AnswerOpinionForm,
    CarryOpinionForm,
    OpinionForm,
    opinion_form_prefix,
)
from comments.blueprints.views import load, post_change
from comments.dates import calendar_day
from comments.domain.opinions import (
    answer_opinion,
    carry_opinion,
    close_opinion,
    later_meetings,
    opinions_carried_to,
    opinions_raised_at,
    record_opinion,
)
from comments.extensions import db
from comments.models import CommitteeOpinion, Consultation, Meeting, OpinionState
from comments.permissions import Permission, require


@dataclass
class OpinionsPanel:
    """What the meeting's page and its opinions page show: the opinions raised at the meeting, those carried
    to it from earlier meetings, and the forms (each opinion's with its own prefix)."""

    meeting: Meeting
    raised: list[CommitteeOpinion]
    carried_in: list[CommitteeOpinion]
    form: OpinionForm
    close_forms: dict[int, AnswerOpinionForm]


def _offer_consultations(form: OpinionForm, meeting: Meeting) -> None:
    form.consultation_id.choices = [SelectChoice("", _l("Choose…"))] + [
        SelectChoice(consultation.id, consultation.title) for consultation in meeting.consultations
    ]


def _offer_meetings(form: CarryOpinionForm, opinion: CommitteeOpinion) -> None:
    form.meeting_id.choices = [SelectChoice("", _l("Choose…"))] + [
        SelectChoice(meeting.id, _l("%(text)s (%(note)s)", text=meeting.title, note=calendar_day(meeting.held_on)))
        for meeting in later_meetings(opinion)
    ]


def opinions_panel(meeting: Meeting, *, form: OpinionForm | None = None, failed_close=None) -> OpinionsPanel:
    """The panel of ``meeting``; ``form`` and ``failed_close`` (opinion id, form) carry a refused form back."""
    if form is None:
        form = OpinionForm(formdata=None)
        _offer_consultations(form, meeting)
    carried_in = opinions_carried_to(meeting)
    close_forms = {
        opinion.id: AnswerOpinionForm(formdata=None, prefix=opinion_form_prefix("close", opinion.id))
        for opinion in carried_in
        if opinion.state == OpinionState.carried
    }
    if failed_close is not None:
        close_forms[failed_close[0]] = failed_close[1]
    return OpinionsPanel(meeting, opinions_raised_at(meeting), carried_in, form, close_forms)


# The meeting's page (staff/meeting_show.html, another module's view) includes the panel with one line.
bp.add_app_template_global(opinions_panel, "meeting_opinions_panel")


def _render_meeting_opinions(meeting: Meeting, **panel):
    return render_template("staff/meeting_opinions.html", panel=opinions_panel(meeting, **panel), meeting=meeting)


@bp.get("/meetings/<int:meeting_id>/opinions")
@require(Permission.consultation_manage)
def list_meeting_opinions(meeting_id: int):
    """The committee's opinions raised at the meeting and those carried to it, with the forms."""
    return _render_meeting_opinions(load(Meeting, meeting_id))


@bp.post("/meetings/<int:meeting_id>/opinions")
@require(Permission.consultation_manage)
def add_opinion(meeting_id: int):
    meeting = load(Meeting, meeting_id)
    form = OpinionForm()
    _offer_consultations(form, meeting)
    return post_change(
        form,
        lambda: record_opinion(
            meeting,
            db.session.get(Consultation, form.consultation_id.data),
            form.body.data,
            actor=request_actor(),
        ),
        page=lambda: _render_meeting_opinions(meeting, form=form),
        lock=[meeting],
        then=lambda opinion: url_for("staff.show_meeting", meeting_id=meeting.id, _anchor=f"opinion-{opinion.id}"),
        done=lambda opinion: _l("Main opinion (%(number)d) is recorded.", number=opinion.number),
    )


@bp.post("/meetings/<int:meeting_id>/opinions/<int:opinion_id>/close")
@require(Permission.consultation_manage)
def close_carried_opinion(meeting_id: int, opinion_id: int):
    """Close an opinion carried to this meeting with the answer given here."""
    meeting = load(Meeting, meeting_id)
    opinion = load(CommitteeOpinion, opinion_id)
    form = AnswerOpinionForm(prefix=opinion_form_prefix("close", opinion.id))
    return post_change(
        form,
        lambda: close_opinion(opinion, meeting, form.answer.data, actor=request_actor()),
        page=lambda: _render_meeting_opinions(meeting, failed_close=(opinion.id, form)),
        lock=[opinion],
        then=url_for("staff.show_meeting", meeting_id=meeting.id, _anchor="carried-in-title"),
        done=_l("The carried-over opinion is closed with the city's answer."),
    )


def _render_opinion(opinion: CommitteeOpinion, *, answer_form=None, carry_form=None):
    if answer_form is None:
        answer_form = AnswerOpinionForm(formdata=None, prefix=opinion_form_prefix("answer", opinion.id))
    if carry_form is None:
        carry_form = CarryOpinionForm(formdata=None, prefix=opinion_form_prefix("carry", opinion.id))
        _offer_meetings(carry_form, opinion)
    return render_template("staff/opinion_show.html", opinion=opinion, answer_form=answer_form, carry_form=carry_form)


@bp.get("/opinions/<int:opinion_id>")
@require(Permission.consultation_manage)
def show_opinion(opinion_id: int):
    """One opinion, where it stands, and the forms to answer it or carry it to a later meeting."""
    return _render_opinion(load(CommitteeOpinion, opinion_id))


@bp.post("/opinions/<int:opinion_id>/answer")
@require(Permission.consultation_manage)
def answer_committee_opinion(opinion_id: int):
    opinion = load(CommitteeOpinion, opinion_id)
    form = AnswerOpinionForm(prefix=opinion_form_prefix("answer", opinion.id))
    return post_change(
        form,
        lambda: answer_opinion(opinion, form.answer.data, actor=request_actor()),
        page=lambda: _render_opinion(opinion, answer_form=form),
        lock=[opinion],
        then=url_for("staff.show_opinion", opinion_id=opinion.id),
        done=_l("The city's answer is recorded."),
    )


@bp.post("/opinions/<int:opinion_id>/carry")
@require(Permission.consultation_manage)
def carry_committee_opinion(opinion_id: int):
    opinion = load(CommitteeOpinion, opinion_id)
    form = CarryOpinionForm(prefix=opinion_form_prefix("carry", opinion.id))
    _offer_meetings(form, opinion)
    # Any meeting may be named: the domain says why an earlier one is refused, which a narrowed list would not.
    form.meeting_id.validate_choice = False
    return post_change(
        form,
        lambda: carry_opinion(
            opinion,
            db.session.get(Meeting, form.meeting_id.data) if isinstance(form.meeting_id.data, int) else None,
            actor=request_actor(),
        ),
        page=lambda: _render_opinion(opinion, carry_form=form),
        lock=[opinion],
        then=url_for("staff.show_opinion", opinion_id=opinion.id),
        done=_l("The opinion is carried over; it appears in that meeting's packet until it is closed there."),
    )
