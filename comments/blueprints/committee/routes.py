"""The committee portal's views: thin, each loads, checks, calls one domain function and commits once."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from comments.blueprints.actors import request_actor
from comments.blueprints.committee import bp
from comments.blueprints.committee.forms import ConfirmFileForm, QuestionFileForm, QuestionForm, RotateAddressForm
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.uploads import commit_or_discard, download_response, read_uploads
from comments.domain import DomainError
from comments.domain.audit import record_event
from comments.domain.committee import (
    UNDER_INSPECTION,
    approved_answers,
    committee_materials,
    consultations_under_inspection,
    intake_address,
    member_questions,
    rotate_intake_token,
    submit_member_question,
)
from comments.domain.sections import section_choices
from comments.domain.uploads import CheckedFile
from comments.extensions import db
from comments.ingestion.documents import extract_text
from comments.models import Channel, Consultation, Material, Submission
from comments.permissions import Permission, require
from comments.storage import blob_store
from comments.transactions import begin_write, read_before_write

# A file waiting for the member's confirmation is named by a signed token, valid this long.
UPLOAD_CONFIRM_SECONDS = 24 * 3600
PROBLEMS = {
    "encrypted": _l("The file is protected by a password, so its text cannot be read."),
    "no_text": _l("No text could be read from the file (a scanned image, perhaps)."),
    "unreadable": _l("The file could not be read; it may be damaged."),
    "too_long": _l("The text is longer than 10,000 characters; only the beginning is shown."),
    "unsupported": _l("Only DOCX, PDF and TXT files can be read."),
}


def _consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.status not in UNDER_INSPECTION:
        abort(404)
    return consultation


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="committee-question-file")


@bp.get("/")
@require(Permission.committee_question_send)
def home():
    g.no_store = True
    return render_template(
        "committee/home.html",
        consultations=consultations_under_inspection(),
        questions=member_questions(current_user),
        address=intake_address(current_user),
        rotate_form=RotateAddressForm(),
    )


def _render_consultation(consultation, question_form=None, file_form=None, status=200):
    g.no_store = True
    sections = section_choices(consultation)
    question_form = question_form or QuestionForm(prefix="question")
    file_form = file_form or QuestionFileForm(prefix="file")
    question_form.offer_sections(sections)
    file_form.offer_sections(sections)
    return (
        render_template(
            "committee/consultation.html",
            consultation=consultation,
            materials=committee_materials(consultation),
            public_materials=[m for m in consultation.materials if m.public],
            question_form=question_form,
            file_form=file_form,
        ),
        status,
    )


@bp.get("/consultations/<int:consultation_id>")
@require(Permission.committee_question_send)
def show_consultation(consultation_id: int):
    return _render_consultation(_consultation(consultation_id))


@bp.get("/materials/<int:material_id>")
@require(Permission.committee_material_read)
def download_material(material_id: int):
    """A material of a consultation under inspection; committee-only ones are recorded when read."""
    material = db.session.get(Material, material_id)
    if material is None or material.consultation.status not in UNDER_INSPECTION:
        abort(404)
    if not material.public:
        record_event(request_actor(), "material.downloaded", material, consultation_id=material.consultation_id)
        db.session.commit()
    return download_response(material.sha256, material.filename, material.content_type)


def _store_question(consultation, *, body, section_id, channel, files, form, template_error):
    begin_write()
    try:
        accepted = submit_member_question(
            consultation,
            current_user,
            body=body,
            section_id=section_id,
            channel=channel,
            files=files,
            received_at=g.received_at,
            actor=request_actor(),
            blob_store=blob_store(),
        )
    except DomainError as error:
        db.session.rollback()
        put_domain_error(form, error, default=form.body)
        return template_error()
    submission_id = accepted.submission.id
    commit_or_discard(accepted.created_blobs)
    flash(_l("Your question was received. Receipt number: %(receipt)s", receipt=accepted.submission.receipt_number))
    return redirect(url_for("committee.show_question", submission_id=submission_id), code=303)


@bp.post("/consultations/<int:consultation_id>/questions")
@require(Permission.committee_question_send)
def send_question(consultation_id: int):
    read_before_write()
    consultation = _consultation(consultation_id)
    form = QuestionForm(prefix="question")
    form.offer_sections(section_choices(consultation))
    if not form.validate():
        return _render_consultation(consultation, question_form=form, status=422)
    return _store_question(
        consultation,
        body=form.body.data,
        section_id=form.chosen_section_id,
        channel=Channel.web,
        files=[],
        form=form,
        template_error=lambda: _render_consultation(consultation, question_form=form, status=422),
    )


@bp.post("/consultations/<int:consultation_id>/question-file")
@require(Permission.committee_question_send)
def upload_question_file(consultation_id: int):
    """First step: check the file like any upload, keep it, read its text and show it for confirmation."""
    consultation = _consultation(consultation_id)
    form = QuestionFileForm(prefix="file")
    form.offer_sections(section_choices(consultation))
    files, errors = read_uploads([request.files[form.document.name]] if form.document.name in request.files else [])
    if not form.validate() or errors or not files:
        form.document.errors = list(form.document.errors or []) + (
            errors or [_l("Choose the file with your questions (DOCX, PDF or TXT).")]
        )
        return _render_consultation(consultation, file_form=form, status=422)
    file = files[0]
    extracted = extract_text(file.filename, file.data)
    sha256, _created = blob_store().put(file.data)
    token = _serializer().dumps(
        {
            "member": current_user.id,
            "consultation": consultation.id,
            "sha256": sha256,
            "filename": file.filename,
            "content_type": file.content_type,
        }
    )
    confirm = ConfirmFileForm(formdata=None, section_id=form.section_id.data or "", body=extracted.text, upload=token)
    confirm.offer_sections(section_choices(consultation))
    return _render_confirm(consultation, confirm, file.filename, extracted.problem)


def _render_confirm(consultation, form, filename, problem, status=200):
    g.no_store = True
    return (
        render_template(
            "committee/confirm_file.html",
            consultation=consultation,
            form=form,
            filename=filename,
            problem=PROBLEMS.get(problem) if problem else None,
        ),
        status,
    )


@bp.post("/consultations/<int:consultation_id>/question-file/confirm")
@require(Permission.committee_question_send)
def confirm_question_file(consultation_id: int):
    """Second step: store the question with the original file; a file whose text could not be read is
    still kept when the member confirms, with a line saying the question is in the attached file."""
    read_before_write()
    consultation = _consultation(consultation_id)
    form = ConfirmFileForm()
    form.offer_sections(section_choices(consultation))
    try:
        upload = _serializer().loads(form.upload.data or "", max_age=UPLOAD_CONFIRM_SECONDS)
    except BadSignature:
        upload = None
    if not upload or upload.get("member") != current_user.id or upload.get("consultation") != consultation.id:
        flash(_l("That upload has expired or is not yours. Upload the file again."))
        return redirect(url_for("committee.show_consultation", consultation_id=consultation.id), code=303)
    if not form.validate():
        return _render_confirm(consultation, form, upload["filename"], None, status=422)
    try:
        data = blob_store().read(upload["sha256"])
    except FileNotFoundError:
        abort(404)
    file = CheckedFile(filename=upload["filename"], content_type=upload["content_type"], data=data)
    body = (form.body.data or "").strip() or str(_l("(The question is in the attached file.)"))
    return _store_question(
        consultation,
        body=body,
        section_id=form.chosen_section_id,
        channel=Channel.upload,
        files=[file],
        form=form,
        template_error=lambda: _render_confirm(consultation, form, upload["filename"], None, status=422),
    )


@bp.get("/questions/<int:submission_id>")
@require(Permission.committee_question_send)
def show_question(submission_id: int):
    """One of the member's own questions with its receipt number; anyone else's is not found."""
    g.no_store = True
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.member_id != current_user.id:
        abort(404)
    status = next(q.status for q in member_questions(current_user) if q.submission.id == submission.id)
    return render_template(
        "committee/question.html", submission=submission, status=status, answers=approved_answers(submission)
    )


@bp.post("/intake-address")
@require(Permission.committee_question_send)
def rotate_address():
    """Make a new personal intake address; mail to the old one goes to the secretariat's quarantine."""
    form = RotateAddressForm()
    if not form.validate():
        abort(400)
    begin_write()
    rotate_intake_token(current_user, request_actor())
    db.session.commit()
    flash(_l("Your new intake address is ready. Mail sent to the old address will not be accepted."))
    return redirect(url_for("committee.home"), code=303)
