"""Back-office views: keying in post, fax, in-person and forwarded e-mail submissions, the second person's
check against the scan, and the decision on one that came late."""

from __future__ import annotations

from flask import abort, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.intake_forms import (
    NOT_A_MEMBER,
    CheckForm,
    LateDecisionForm,
    PaperSubmissionForm,
    offer_members,
)
from comments.blueprints.uploads import INLINE_IMAGE_TYPES, download_response, image_response, read_uploads
from comments.blueprints.views import load, post_change
from comments.domain.committee import committee_members, submit_member_question
from comments.domain.intake import StaffEntry, SubmissionDraft, accept_submission, read_attachments
from comments.domain.paper import check_transcription, decide_late_submission, late_decision_of
from comments.extensions import db
from comments.models import (
    Channel,
    Consultation,
    ConsultationStatus,
    Submission,
    SubmitterKind,
    TranscriptionCheck,
    User,
)
from comments.permissions import Permission, require
from comments.storage import blob_store


def _published(consultation: Consultation) -> bool:
    return consultation.status != ConsultationStatus.draft


@bp.route("/consultations/<int:consultation_id>/intake", methods=["GET", "POST"])
@require(Permission.submission_enter)
def enter_submission(consultation_id: int):
    """Key in a submission that came by post, fax, in person or forwarded e-mail, with its scan."""
    consultation = load(Consultation, consultation_id, visible=_published)
    form = PaperSubmissionForm()
    offer_members(form, committee_members())

    def page():
        return render_template("staff/intake_form.html", form=form, consultation=consultation)

    if request.method == "GET":
        form.arrived_on.data = clock.japan_today()
        return page()
    files, file_errors = read_uploads(request.files.getlist(form.scans.name))
    if file_errors:
        form.validate()
        form.scans.errors = list(form.scans.errors or []) + file_errors
        return page(), 422

    def enter(attachments):
        entry = StaffEntry(
            entered_by_id=current_user.id, arrived_on=form.arrived_on.data, postmarked_on=form.postmarked_on.data
        )
        channel = Channel(form.channel.data)
        if form.member_id.data and form.member_id.data != NOT_A_MEMBER:
            return submit_member_question(
                consultation,
                db.session.get(User, form.member_id.data),
                body=form.body.data or "",
                section_id=None,
                channel=channel,
                files=attachments,
                received_at=g.received_at,
                actor=request_actor(),
                blob_store=blob_store(),
                staff_entry=entry,
            )
        draft = SubmissionDraft(
            body=form.body.data or "",
            submitter_kind=SubmitterKind(form.submitter_kind.data),
            channel=channel,
            name=form.name.data or "",
            email=form.email.data or "",
            contact=form.contact.data or "",
            files=attachments,
        )
        return accept_submission(
            consultation,
            draft,
            received_at=g.received_at,
            actor=request_actor(),
            blob_store=blob_store(),
            staff_entry=entry,
        )

    return post_change(
        form,
        enter,
        prepare=lambda: read_attachments(files, channel=Channel(form.channel.data), staff=True),
        page=page,
        field=form.body,
        renamed={"attachments": "scans"},
        then=lambda accepted: url_for("staff.show_entered_submission", submission_id=accepted.submission.id),
    )


def _keyed_in(submission: Submission) -> bool:
    return submission.entered_by_id is not None


@bp.get("/intake/<int:submission_id>")
@require(Permission.submission_enter)
def show_entered_submission(submission_id: int):
    """What was keyed in, its receipt number, whether it is late, and its check and decision."""
    submission = load(Submission, submission_id, visible=_keyed_in)
    check = db.session.execute(
        select(TranscriptionCheck).where(TranscriptionCheck.submission_id == submission.id)
    ).scalar_one_or_none()
    decision = late_decision_of(submission)
    return render_template(
        "staff/intake_show.html",
        submission=submission,
        check=check,
        decision=decision,
        check_form=CheckForm(),
        decision_form=LateDecisionForm(),
        inline_types=INLINE_IMAGE_TYPES,
    )


@bp.get("/intake/<int:submission_id>/scans/<int:position>")
@require(Permission.submission_enter)
def show_entered_scan(submission_id: int, position: int):
    """A scan of a keyed-in submission, for the second person's check: a picture shown on the check page
    beside the keyed text, any other file (a PDF) as a download (R41)."""
    submission = load(Submission, submission_id, visible=_keyed_in)
    attachment = next((a for a in submission.attachments if a.position == position), None)
    if attachment is None:
        abort(404)
    kept = attachment.kept
    if kept.content_type in INLINE_IMAGE_TYPES:
        return image_response(kept.sha256, kept.content_type)
    return download_response(kept.sha256, kept.filename)


def _back_to_entered(submission_id: int) -> str:
    return url_for("staff.show_entered_submission", submission_id=submission_id)


@bp.post("/intake/<int:submission_id>/check")
@require(Permission.submission_enter)
def check_entered_submission(submission_id: int):
    submission = load(Submission, submission_id, visible=_keyed_in)
    return post_change(
        CheckForm(),
        lambda: check_transcription(submission, current_user, request_actor()),
        page=None,
        lock=[submission],
        then=_back_to_entered(submission_id),
        done=_l("The transcription is marked as checked against the scan."),
    )


@bp.post("/intake/<int:submission_id>/late-decision")
@require(Permission.consultation_manage)
def decide_late(submission_id: int):
    submission = load(Submission, submission_id, visible=_keyed_in)
    form = LateDecisionForm()
    return post_change(
        form,
        lambda: decide_late_submission(
            submission,
            included=form.included.data,
            reason=form.reason.data,
            decider=current_user,
            actor=request_actor(),
        ),
        page=None,
        lock=[submission],
        then=_back_to_entered(submission_id),
        done=_l("The decision is recorded."),
    )
