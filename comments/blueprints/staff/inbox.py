"""Back-office views: the inbox of a consultation and the submission page (R26, R36, R41, R45)."""

from __future__ import annotations

from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.reauthentication import ask_for_password
from comments.blueprints.staff import bp
from comments.blueprints.staff.inbox_forms import (
    CHANNEL_CHOICES,
    KIND_CHOICES,
    InboxFilterForm,
    RedactedCopyForm,
    RevealPersonalDataForm,
)
from comments.blueprints.uploads import download_response, made_file_response, read_uploads
from comments.blueprints.views import commit_change, load, post_change, redirect_to
from comments.dates import calendar_day
from comments.domain.inbox import (
    COUNT_LIMIT,
    InvalidCursorError,
    count_inbox,
    list_inbox,
    reveal_personal_data,
    save_search,
    saved_search,
)
from comments.domain.list_exports import TooManyRowsError, inbox_export, record_inbox_export
from comments.domain.paper import late_decision_of
from comments.domain.redactions import destroy_replaced, read_redacted_copy, replace_with_redacted_copy
from comments.exports.listings import inbox_xlsx
from comments.exports.xlsx import MEDIA_TYPE as XLSX_MEDIA_TYPE
from comments.extensions import db
from comments.models import Attachment, Consultation, Submission
from comments.permissions import Permission, require
from comments.storage import blob_store


def _labels() -> dict:
    return {
        "channel_labels": {choice.value: choice.label for choice in CHANNEL_CHOICES},
        "kind_labels": {choice.value: choice.label for choice in KIND_CHOICES},
    }


def _readable(consultation: Consultation) -> bool:
    """Whether the user may read the consultation's submissions: its department's staff, the secretariat."""
    return current_user.can(Permission.submission_read, consultation)


def _load_submission(submission_id: int) -> Submission:
    return load(Submission, submission_id, visible=lambda submission: _readable(submission.consultation))


def _render_inbox(
    consultation: Consultation, form: InboxFilterForm, *, page=None, count=None, search_lost: bool = False
):
    return render_template(
        "staff/inbox_list.html",
        consultation=consultation,
        form=form,
        page=page,
        count=count,
        count_limit=COUNT_LIMIT,
        search_lost=search_lost,
        **_labels(),
    )


@bp.get("/consultations/<int:consultation_id>/inbox")
@require(Permission.submission_read)
def show_inbox(consultation_id: int):
    """Every submission of the consultation, filtered and searched, 50 a page, no personal data.

    The filters travel in the address; the searched text never does (it may be a name): ``?search=`` names
    it by the opaque id ``search_inbox`` gave it.
    """
    consultation = load(Consultation, consultation_id, visible=_readable)
    form = InboxFilterForm(formdata=request.args)
    search_id = request.args.get("search", "")
    form.q.data = saved_search(search_id, current_user, consultation) if search_id else ""
    if not form.validate():
        return _render_inbox(consultation, form), 422
    filters = form.to_filters()
    try:
        page = list_inbox(db.session, consultation, filters, after=form.after.data or None)
    except InvalidCursorError:
        abort(400)
    form.search_id = search_id if form.q.data else ""
    return _render_inbox(
        consultation,
        form,
        page=page,
        count=count_inbox(db.session, consultation, filters, limit=COUNT_LIMIT),
        search_lost=bool(search_id) and form.q.data is None,
    )


@bp.post("/consultations/<int:consultation_id>/inbox")
@require(Permission.submission_read)
def search_inbox(consultation_id: int):
    """Keep the filters' text search under an opaque id and show the inbox with it (POST, then GET)."""
    consultation = load(Consultation, consultation_id, visible=_readable)
    form = InboxFilterForm()
    if not form.validate():
        return _render_inbox(consultation, form), 422
    args = form.query_args()
    if (form.q.data or "").strip():
        args["search"] = commit_change(lambda: save_search(current_user, consultation, form.q.data)).id
    return redirect_to(url_for("staff.show_inbox", consultation_id=consultation.id, **args))


def _inbox_workbook(consultation: Consultation, *, with_personal_data: bool):
    """The inbox as the page's filters and kept search narrow it, every page of it, as an Excel file; the
    export is recorded. A filter the page would refuse, or a search no longer kept, is answered with the
    page and its message (422): never a file of something else than was asked for."""
    form = InboxFilterForm(formdata=request.args)
    search_id = request.args.get("search", "")
    form.q.data = saved_search(search_id, current_user, consultation) if search_id else ""
    if form.q.data is None:
        return _render_inbox(consultation, form, search_lost=True), 422
    if not form.validate():
        return _render_inbox(consultation, form), 422
    filters = form.to_filters()
    try:
        exported = inbox_export(consultation, filters, with_personal_data=with_personal_data)
    except TooManyRowsError as error:
        form.form_errors.append(error.message)
        return _render_inbox(consultation, form), 422
    today = clock.japan_today()
    data = inbox_xlsx(
        consultation.title,
        exported,
        with_personal_data=with_personal_data,
        stamp=_("Exported on %(date)s", date=calendar_day(today)),
        **_labels(),
    )
    commit_change(
        lambda: record_inbox_export(
            consultation, filters, exported, with_personal_data=with_personal_data, actor=request_actor()
        )
    )
    kind = "inbox-personal-data" if with_personal_data else "inbox"
    return made_file_response(data, f"{kind}-{consultation.id}-{today:%Y%m%d}.xlsx", XLSX_MEDIA_TYPE)


@bp.get("/consultations/<int:consultation_id>/inbox.xlsx")
@require(Permission.submission_read)
def export_inbox(consultation_id: int):
    """The inbox as the page shows it, as an Excel file, without personal data: no names, e-mail addresses
    or contacts, and the texts without them (comments/domain/list_exports.py)."""
    return _inbox_workbook(load(Consultation, consultation_id, visible=_readable), with_personal_data=False)


@bp.get("/consultations/<int:consultation_id>/inbox-with-personal-data.xlsx")
@require(Permission.personal_data_read)
def export_inbox_with_personal_data(consultation_id: int):
    """The inbox's Excel file with each submitter's name, e-mail and contact: for someone who may read them
    for this consultation and entered their password in the last five minutes (R27); recorded as personal
    data leaving the service, with every receipt number (R45)."""
    consultation = load(
        Consultation,
        consultation_id,
        visible=lambda consultation: current_user.can(Permission.personal_data_read, consultation),
    )
    if (asked := ask_for_password()) is not None:
        return asked
    return _inbox_workbook(consultation, with_personal_data=True)


def _render_submission(submission: Submission, *, submitter=None, revealed: bool = False):
    return render_template(
        "staff/submission_show.html",
        submission=submission,
        decision=late_decision_of(submission),
        submitter=submitter,
        revealed=revealed,
        reveal_form=RevealPersonalDataForm(),
        **_labels(),
    )


@bp.get("/submissions/<int:submission_id>")
@require(Permission.submission_read)
def show_submission(submission_id: int):
    """The submission as it arrived: text, attachments, fingerprint; personal data hidden."""
    return _render_submission(_load_submission(submission_id))


@bp.post("/submissions/<int:submission_id>/personal-data")
@require(Permission.personal_data_read)
def show_personal_data(submission_id: int):
    """The submission with its submitter's personal data; the viewing is recorded first (R45)."""
    submission = _load_submission(submission_id)
    if not RevealPersonalDataForm().validate():
        abort(400)
    submitter = commit_change(lambda: reveal_personal_data(submission, current_user, request_actor()))
    return _render_submission(submission, submitter=submitter, revealed=True)


@bp.get("/submissions/<int:submission_id>/attachments/<int:position>")
@require(Permission.submission_read)
def download_submission_attachment(submission_id: int, position: int):
    """An attachment, only ever as a download: never rendered inline, never sniffed (R41)."""
    kept = _load_attachment(submission_id, position).kept
    return download_response(kept.sha256, kept.filename)


def _load_attachment(submission_id: int, position: int) -> Attachment:
    submission = _load_submission(submission_id)
    attachment = next((a for a in submission.attachments if a.position == position), None)
    if attachment is None:
        abort(404)
    return attachment


def _render_redaction(attachment: Attachment, form: RedactedCopyForm):
    return render_template("staff/attachment_redact.html", attachment=attachment, form=form)


@bp.route("/submissions/<int:submission_id>/attachments/<int:position>/redacted-copy", methods=["GET", "POST"])
@require(Permission.attachment_redact)
def redact_attachment(submission_id: int, position: int):
    """Replace an attachment by a redacted copy (黒塗り) the clerk uploads; the original is destroyed (R14)."""
    attachment = _load_attachment(submission_id, position)
    if not current_user.can(Permission.attachment_redact, attachment.submission.consultation):
        abort(404)
    form = RedactedCopyForm()
    if request.method == "GET":
        return _render_redaction(attachment, form)
    files, file_errors = read_uploads(
        [request.files[form.document.name]] if form.document.name in request.files else []
    )
    if file_errors or not files:
        form.validate()
        form.document.errors = list(form.document.errors or []) + (
            file_errors or [_l("Choose the redacted copy to upload (PDF, PNG, JPEG, Word or text).")]
        )
        return _render_redaction(attachment, form), 422
    actor = request_actor()
    response = post_change(
        form,
        lambda copy: replace_with_redacted_copy(
            attachment, copy, reason=form.reason.data, by=current_user, actor=actor, store=blob_store()
        ),
        prepare=lambda: read_redacted_copy(files[0]),
        page=lambda: _render_redaction(attachment, form),
        then=url_for("staff.show_submission", submission_id=submission_id, _anchor="attachments-title"),
        lock=(attachment,),
    )
    if isinstance(response, Response) and response.status_code == 303:
        try:
            commit_change(lambda: destroy_replaced(blob_store(), actor))
        except OSError:
            # The copy is committed; the worker destroys the original on its next pass.
            current_app.logger.exception("a file replaced by a redacted copy could not be destroyed yet")
        db.session.refresh(attachment.redacted_copy)
        if attachment.redacted_copy.original_destroyed_at is not None:
            flash(_l("The redacted copy replaces the file, and the file as it arrived has been destroyed."))
        else:
            flash(
                _l(
                    "The redacted copy replaces the file. The file as it arrived is destroyed as soon as no other "
                    "submission holds the same file (the worker checks every few seconds)."
                )
            )
    return response
