"""The committee portal's views: what a member inspects, their questions, and their intake address."""

from __future__ import annotations

from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from comments.blueprints.actors import request_actor
from comments.blueprints.committee import bp
from comments.blueprints.committee.forms import ConfirmFileForm, QuestionFileForm, QuestionForm, RotateAddressForm
from comments.blueprints.uploads import download_response, read_uploads
from comments.blueprints.views import commit_change, load, post_change, redirect_to
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
from comments.domain.intake import read_attachments
from comments.domain.schedule import schedule_of
from comments.domain.sections import section_choices
from comments.domain.uploads import CheckedFile, UnreadableFileError, mask_file, read_file_text, reading_deadline
from comments.models import Channel, Consultation, Material, Submission
from comments.permissions import Permission, require
from comments.storage import blob_store
from comments.transactions import end_transaction

# A file waiting for the member's confirmation is named by a signed token, valid this long.
UPLOAD_CONFIRM_SECONDS = 24 * 3600
PROBLEMS = {
    "encrypted": _l("The file is protected by a password, so its text cannot be read."),
    "no_text": _l("No text could be read from the file (a scanned image, perhaps)."),
    "unreadable": _l("The file could not be read; it may be damaged."),
    "too_long": _l("The text is longer than 10,000 characters; only the beginning is shown."),
    "unsupported": _l("Only DOCX, PDF and TXT files can be read."),
}


def _under_inspection(consultation: Consultation) -> bool:
    return consultation.status in UNDER_INSPECTION


def _consultation(consultation_id: int) -> Consultation:
    return load(Consultation, consultation_id, visible=_under_inspection)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="committee-question-file")


@bp.get("/")
@require(Permission.committee_question_send)
def home():
    return render_template(
        "committee/home.html",
        consultations=consultations_under_inspection(),
        questions=member_questions(current_user),
        address=intake_address(current_user),
        rotate_form=RotateAddressForm(),
    )


def _render_consultation(consultation, question_form=None, file_form=None):
    sections = section_choices(consultation)
    question_form = question_form or QuestionForm(prefix="question")
    file_form = file_form or QuestionFileForm(prefix="file")
    question_form.offer_sections(sections)
    file_form.offer_sections(sections)
    return render_template(
        "committee/consultation.html",
        consultation=consultation,
        materials=committee_materials(consultation),
        public_materials=[m for m in consultation.materials if m.public],
        question_form=question_form,
        file_form=file_form,
        schedule=schedule_of(consultation),
    )


@bp.get("/consultations/<int:consultation_id>")
@require(Permission.committee_question_send)
def show_consultation(consultation_id: int):
    return _render_consultation(_consultation(consultation_id))


@bp.get("/materials/<int:material_id>")
@require(Permission.committee_material_read)
def download_material(material_id: int):
    """A material of a consultation under inspection; committee-only ones are recorded when read."""
    material = load(Material, material_id, visible=lambda found: _under_inspection(found.consultation))
    if not material.public:
        commit_change(
            lambda: record_event(
                request_actor(), "material.downloaded", material, consultation_id=material.consultation_id
            )
        )
    return download_response(material.sha256, material.filename, material.content_type)


def _store_question(consultation, form, *, body, section_id, channel, files, page):
    """The question made a submission of the member, with its receipt number; ``page`` shows a refusal."""
    return post_change(
        form,
        lambda attachments: submit_member_question(
            consultation,
            current_user,
            body=body(),
            section_id=section_id,
            channel=channel,
            files=attachments,
            received_at=g.received_at,
            actor=request_actor(),
            blob_store=blob_store(),
        ),
        prepare=lambda: read_attachments(files, channel=channel),
        page=page,
        field=form.body,
        then=lambda accepted: url_for("committee.show_question", submission_id=accepted.submission.id),
        done=lambda accepted: _l(
            "Your question was received. Receipt number: %(receipt)s", receipt=accepted.submission.receipt_number
        ),
    )


@bp.post("/consultations/<int:consultation_id>/questions")
@require(Permission.committee_question_send)
def send_question(consultation_id: int):
    consultation = _consultation(consultation_id)
    form = QuestionForm(prefix="question")
    form.offer_sections(section_choices(consultation))
    return _store_question(
        consultation,
        form,
        body=lambda: form.body.data,
        section_id=form.chosen_section_id,
        channel=Channel.web,
        files=[],
        page=lambda: _render_consultation(consultation, question_form=form),
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
        return _render_consultation(consultation, file_form=form), 422
    end_transaction()  # nothing is locked or held open while the file is read (R40)
    deadline = reading_deadline()
    try:
        # Masked before anything is written: a number in the file never reaches the disk (R14).
        kept = mask_file(files[0], convert_pdf=True, deadline=deadline)
        extracted = read_file_text(kept.file, deadline=deadline)
    except UnreadableFileError as error:
        form.document.errors = [*list(form.document.errors or []), error.message]
        return _render_consultation(consultation, file_form=form), 422
    file = kept.file
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
    # The text is read from the masked file, and what the member sends back is masked again on intake.
    confirm = ConfirmFileForm(formdata=None, section_id=form.section_id.data or "", body=extracted.text, upload=token)
    confirm.offer_sections(section_choices(consultation))
    return _render_confirm(consultation, confirm, file.filename, extracted.problem, masked_file=kept)


def _render_confirm(consultation, form, filename, problem, masked_file=None):
    return render_template(
        "committee/confirm_file.html",
        consultation=consultation,
        form=form,
        filename=filename,
        problem=PROBLEMS.get(problem) if problem else None,
        masked_file=masked_file,
    )


@bp.post("/consultations/<int:consultation_id>/question-file/confirm")
@require(Permission.committee_question_send)
def confirm_question_file(consultation_id: int):
    """Second step: store the question with the original file; a file whose text could not be read is
    still kept when the member confirms, with a line saying the question is in the attached file."""
    consultation = _consultation(consultation_id)
    form = ConfirmFileForm()
    form.offer_sections(section_choices(consultation))
    try:
        upload = _serializer().loads(form.upload.data or "", max_age=UPLOAD_CONFIRM_SECONDS)
    except BadSignature:
        upload = None
    if not upload or upload.get("member") != current_user.id or upload.get("consultation") != consultation.id:
        flash(_l("That upload has expired or is not yours. Upload the file again."))
        return redirect_to(url_for("committee.show_consultation", consultation_id=consultation.id))
    try:
        data = blob_store().read(upload["sha256"])
    except FileNotFoundError:
        abort(404)
    file = CheckedFile(filename=upload["filename"], content_type=upload["content_type"], data=data)
    return _store_question(
        consultation,
        form,
        body=lambda: (form.body.data or "").strip() or str(_l("(The question is in the attached file.)")),
        section_id=form.chosen_section_id,
        channel=Channel.upload,
        files=[file],
        page=lambda: _render_confirm(consultation, form, upload["filename"], None),
    )


@bp.get("/questions/<int:submission_id>")
@require(Permission.committee_question_send)
def show_question(submission_id: int):
    """One of the member's own questions with its receipt number; anyone else's is not found."""
    submission = load(Submission, submission_id, visible=lambda found: found.member_id == current_user.id)
    question = next(q for q in member_questions(current_user) if q.submission.id == submission.id)
    return render_template(
        "committee/question.html", submission=submission, question=question, answers=approved_answers(submission)
    )


@bp.post("/intake-address")
@require(Permission.committee_question_send)
def rotate_address():
    """Make a new personal intake address; mail to the old one goes to the secretariat's quarantine."""
    return post_change(
        RotateAddressForm(),
        lambda: rotate_intake_token(current_user, request_actor()),
        page=None,
        then=url_for("committee.home"),
        done=_l("Your new intake address is ready. Mail sent to the old address will not be accepted."),
    )
