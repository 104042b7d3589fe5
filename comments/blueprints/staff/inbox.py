"""Back-office views: the inbox of a consultation and the submission page (R26, R36, R41, R45)."""

from __future__ import annotations

from flask import abort, g, render_template, request
from flask_login import current_user

from comments.blueprints.staff import bp
from comments.blueprints.staff.inbox_forms import CHANNEL_CHOICES, KIND_CHOICES, InboxFilterForm, RevealPersonalDataForm
from comments.blueprints.uploads import download_response
from comments.domain.audit import Actor
from comments.domain.inbox import InvalidCursorError, can_read_submissions, list_inbox, reveal_personal_data
from comments.extensions import db
from comments.models import Consultation, Submission
from comments.permissions import Permission, require


def _labels() -> dict:
    return {
        "channel_labels": {choice.value: choice.label for choice in CHANNEL_CHOICES},
        "kind_labels": {choice.value: choice.label for choice in KIND_CHOICES},
    }


def _staff_actor() -> Actor:
    return Actor(f"user:{current_user.id}", ip=request.remote_addr, request_id=g.get("request_id"))


def _load_consultation(consultation_id: int) -> Consultation:
    """The consultation, or 404 when it does not exist or is another department's: staff of one
    department are not told which submissions other departments hold."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or not can_read_submissions(current_user, consultation):
        abort(404)
    return consultation


def _load_submission(submission_id: int) -> Submission:
    submission = db.session.get(Submission, submission_id)
    if submission is None or not can_read_submissions(current_user, submission.consultation):
        abort(404)
    return submission


@bp.get("/consultations/<int:consultation_id>/inbox")
@require(Permission.submission_read)
def show_inbox(consultation_id: int):
    """Every submission of the consultation, filtered and searched, 50 a page, no personal data."""
    g.no_store = True
    consultation = _load_consultation(consultation_id)
    form = InboxFilterForm(formdata=request.args)
    page = None
    if form.validate():
        try:
            page = list_inbox(db.session, consultation, form.to_filters(), after=form.after.data or None)
        except InvalidCursorError:
            abort(400)
    return render_template("staff/inbox_list.html", consultation=consultation, form=form, page=page, **_labels())


def _render_submission(submission: Submission, *, submitter=None, revealed: bool = False):
    g.no_store = True
    return render_template(
        "staff/submission_show.html",
        submission=submission,
        submitter=submitter,
        revealed=revealed,
        reveal_form=RevealPersonalDataForm(),
        may_reveal=current_user.can(Permission.personal_data_read),
        **_labels(),
    )


@bp.get("/submissions/<int:submission_id>")
@require(Permission.submission_read)
def show_submission(submission_id: int):
    """The submission as it arrived: text, attachments, fingerprint; personal data hidden."""
    g.no_store = True
    return _render_submission(_load_submission(submission_id))


@bp.post("/submissions/<int:submission_id>/personal-data")
@require(Permission.personal_data_read)
def show_personal_data(submission_id: int):
    """The submission with its submitter's personal data; the viewing is recorded first (R45)."""
    g.no_store = True
    submission = _load_submission(submission_id)
    if not RevealPersonalDataForm().validate():
        abort(400)
    submitter = reveal_personal_data(submission, current_user, _staff_actor())
    db.session.commit()
    return _render_submission(submission, submitter=submitter, revealed=True)


@bp.get("/submissions/<int:submission_id>/attachments/<int:position>")
@require(Permission.submission_read)
def download_submission_attachment(submission_id: int, position: int):
    """An attachment, only ever as a download: never rendered inline, never sniffed (R41)."""
    g.no_store = True
    submission = _load_submission(submission_id)
    attachment = next((a for a in submission.attachments if a.position == position), None)
    if attachment is None:
        abort(404)
    return download_response(attachment.sha256, attachment.filename)
