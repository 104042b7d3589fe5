"""Back-office views: keying in post, fax, in-person and forwarded e-mail submissions (issue 3, point 5)."""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.staff import bp
from comments.blueprints.staff.intake_forms import (
    NOT_A_MEMBER,
    CheckForm,
    LateDecisionForm,
    PaperSubmissionForm,
    offer_members,
)
from comments.blueprints.uploads import commit_or_discard, read_uploads
from comments.domain import DomainError
from comments.domain.committee import committee_members, submit_member_question
from comments.domain.intake import StaffEntry, SubmissionDraft, accept_submission
from comments.domain.paper import check_transcription, decide_late_submission
from comments.extensions import db
from comments.models import (
    Channel,
    Consultation,
    ConsultationStatus,
    LateDecision,
    Submission,
    SubmitterKind,
    TranscriptionCheck,
    User,
)
from comments.permissions import Permission, require
from comments.storage import blob_store
from comments.transactions import begin_write, read_before_write


def _load_consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.status == ConsultationStatus.draft:
        abort(404)
    return consultation


@bp.route("/consultations/<int:consultation_id>/intake", methods=["GET", "POST"])
@require(Permission.submission_enter)
def enter_submission(consultation_id: int):
    """Key in a submission that came by post, fax, in person or forwarded e-mail, with its scan."""
    g.no_store = True
    read_before_write()
    consultation = _load_consultation(consultation_id)
    form = PaperSubmissionForm()
    offer_members(form, committee_members())
    if request.method == "GET":
        form.arrived_on.data = clock.japan_today()
        return render_template("staff/intake_form.html", form=form, consultation=consultation)
    files, file_errors = read_uploads(request.files.getlist(form.scans.name))
    if not form.validate() or file_errors:
        form.scans.errors = list(form.scans.errors or []) + file_errors
        return render_template("staff/intake_form.html", form=form, consultation=consultation), 422
    draft = SubmissionDraft(
        body=form.body.data or "",
        submitter_kind=SubmitterKind(form.submitter_kind.data),
        channel=Channel(form.channel.data),
        name=form.name.data or "",
        email=form.email.data or "",
        contact=form.contact.data or "",
        files=files,
    )
    entry = StaffEntry(
        entered_by_id=current_user.id, arrived_on=form.arrived_on.data, postmarked_on=form.postmarked_on.data
    )
    begin_write()
    try:
        if form.member_id.data and form.member_id.data != NOT_A_MEMBER:
            accepted = submit_member_question(
                consultation,
                db.session.get(User, form.member_id.data),
                body=draft.body,
                section_id=None,
                channel=draft.channel,
                files=files,
                received_at=g.received_at,
                actor=request_actor(),
                blob_store=blob_store(),
                staff_entry=entry,
            )
        else:
            accepted = accept_submission(
                consultation,
                draft,
                received_at=g.received_at,
                actor=request_actor(),
                blob_store=blob_store(),
                staff_entry=entry,
            )
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, default=form.body)
        return render_template("staff/intake_form.html", form=form, consultation=consultation), 422
    submission_id = accepted.submission.id
    commit_or_discard(accepted.created_blobs)
    return redirect(url_for("staff.show_entered_submission", submission_id=submission_id), code=303)


def _load_entered(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.entered_by_id is None:
        abort(404)
    return submission


@bp.get("/intake/<int:submission_id>")
@require(Permission.submission_enter)
def show_entered_submission(submission_id: int):
    """What was keyed in, its receipt number, whether it is late, and its check and decision."""
    g.no_store = True
    submission = _load_entered(submission_id)
    check = db.session.execute(
        select(TranscriptionCheck).where(TranscriptionCheck.submission_id == submission.id)
    ).scalar_one_or_none()
    decision = db.session.execute(
        select(LateDecision).where(LateDecision.submission_id == submission.id)
    ).scalar_one_or_none()
    return render_template(
        "staff/intake_show.html",
        submission=submission,
        check=check,
        decision=decision,
        check_form=CheckForm(),
        decision_form=LateDecisionForm(),
        can_decide=current_user.can(Permission.consultation_manage),
    )


def _apply_and_return(submission_id: int, change, done_message) -> Response:
    """Run one domain change, commit it, and go back to the submission with what happened as a message."""
    try:
        change()
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
    else:
        db.session.commit()
        flash(done_message)
    return redirect(url_for("staff.show_entered_submission", submission_id=submission_id), code=303)


@bp.post("/intake/<int:submission_id>/check")
@require(Permission.submission_enter)
def check_entered_submission(submission_id: int):
    submission = _load_entered(submission_id)
    if not CheckForm().validate():
        abort(400)
    return _apply_and_return(
        submission_id,
        lambda: check_transcription(submission, current_user, request_actor()),
        _l("The transcription is marked as checked against the scan."),
    )


@bp.post("/intake/<int:submission_id>/late-decision")
@require(Permission.consultation_manage)
def decide_late(submission_id: int):
    submission = _load_entered(submission_id)
    form = LateDecisionForm()
    if not form.validate():
        flash(_l("Write the reason for the decision."))
        return redirect(url_for("staff.show_entered_submission", submission_id=submission_id), code=303)
    return _apply_and_return(
        submission_id,
        lambda: decide_late_submission(
            submission,
            included=form.included.data,
            reason=form.reason.data,
            decider=current_user,
            actor=request_actor(),
        ),
        _l("The decision is recorded."),
    )
