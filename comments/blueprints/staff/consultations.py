"""Back-office views: the secretariat runs a consultation (create, edit, import, materials, publish,
extend, close)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.staff import bp
from comments.blueprints.staff.consultation_forms import (
    ConfirmForm,
    ConfirmImportForm,
    ConsultationForm,
    ExtendDeadlineForm,
    ImportForm,
    InspectionForm,
    MaterialForm,
)
from comments.blueprints.staff.schedule import schedule_rows
from comments.blueprints.uploads import read_uploads
from comments.blueprints.views import load, post_change, redirect_to
from comments.clock import JAPAN
from comments.dates import calendar_day
from comments.domain import DomainError
from comments.domain import consultations as operations
from comments.domain.deadlines import end_of_day, period_days
from comments.domain.departments import department_names
from comments.domain.uploads import ALLOWED_EXTENSIONS_TEXT, UnreadableFileError, read_in_child
from comments.extensions import db
from comments.ingestion.draft_import import (
    DraftUnreadable,
    ParsedSection,
    docx_blocks,
    sections_from_blocks,
    sections_from_text,
)
from comments.models import Consultation, MaterialKind, Meeting
from comments.permissions import Permission, require
from comments.storage import blob_store
from comments.transactions import end_transaction

# The previewed sections travel to the confirm step signed, so nothing is kept on the server between
# the two requests and nobody can slip other text in; a preview older than this must be made again.
IMPORT_PREVIEW_MAX_AGE = 3600
# Domain errors name the stored attribute; the forms name what the person typed.
FORM_FIELD = {"opens_at": "opens_on", "closes_at": "closes_on"}


def _preview_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff.import-sections")


@bp.get("/consultations")
@require(Permission.consultation_manage)
def list_consultations():
    consultations = db.session.execute(select(Consultation).order_by(Consultation.opens_at.desc())).scalars().all()
    return render_template("staff/consultation_list.html", consultations=consultations)


def _render_edit(form: ConsultationForm, consultation: Consultation | None):
    return render_template(
        "staff/consultation_edit.html", form=form, consultation=consultation, departments=department_names()
    )


def _to_show(consultation_id: int) -> str:
    return url_for("staff.show_consultation", consultation_id=consultation_id)


@bp.route("/consultations/new", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def new_consultation():
    form = ConsultationForm()
    if request.method == "GET":
        form.contact_retention_days.data = current_app.config["CONTACT_RETENTION_DAYS"]
        return _render_edit(form, None)
    return post_change(
        form,
        lambda: operations.create_consultation(form.to_details(), request_actor()),
        page=lambda: _render_edit(form, None),
        renamed=FORM_FIELD,
        then=lambda consultation: _to_show(consultation.id),
        done=_l("The consultation is saved as a draft. Import its sections next."),
    )


def _inspection_form(consultation: Consultation, form: InspectionForm | None = None) -> InspectionForm:
    """The inspection form, offering the meetings whose packet covers the consultation (latest first)."""
    form = form or InspectionForm()
    form.meeting_id.choices = [
        SelectChoice(meeting.id, _l("%(text)s (%(note)s)", text=meeting.title, note=calendar_day(meeting.held_on)))
        for meeting in operations.meetings_covering(consultation)
    ]
    return form


def _render_show(consultation: Consultation, **forms):
    forms.setdefault("confirm_form", ConfirmForm())
    forms.setdefault("extend_form", ExtendDeadlineForm())
    forms.setdefault("inspection_form", _inspection_form(consultation))
    days = period_days(consultation.opens_at, consultation.closes_at)
    return render_template(
        "staff/consultation_show.html",
        consultation=consultation,
        days=days,
        schedule=schedule_rows(consultation),
        **forms,
    )


@bp.get("/consultations/<int:consultation_id>")
@require(Permission.consultation_manage)
def show_consultation(consultation_id: int):
    """The secretariat's view of one consultation: details, the sections as they will be published,
    materials and the actions its state allows."""
    return _render_show(load(Consultation, consultation_id))


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def edit_consultation(consultation_id: int):
    consultation = load(Consultation, consultation_id)
    if request.method == "GET":
        form = ConsultationForm(
            obj=consultation,
            opens_on=consultation.opens_at.astimezone(JAPAN).date(),
            closes_on=(consultation.closes_at.astimezone(JAPAN) - timedelta(microseconds=1)).date(),
            postal_rule=consultation.postal_rule.value,
        )
        form.department.data = consultation.department_name  # by name: the form names what the person typed
        return _render_edit(form, consultation)
    form = ConsultationForm()
    return post_change(
        form,
        lambda: operations.update_consultation(consultation, form.to_details(), request_actor()),
        page=lambda: _render_edit(form, consultation),
        lock=[consultation],
        renamed=FORM_FIELD,
        then=_to_show(consultation_id),
        done=lambda changed: _l("Saved.") if changed else _l("Nothing was changed."),
    )


def _render_import(consultation, form, *, sections=None, confirm_form=None):
    return render_template(
        "staff/consultation_import.html",
        consultation=consultation,
        form=form,
        sections=sections,
        confirm_form=confirm_form,
    )


@bp.route("/consultations/<int:consultation_id>/import", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def import_sections(consultation_id: int):
    """Read the draft from a Word file or pasted text and show the sections found; nothing is saved yet."""
    consultation = load(Consultation, consultation_id)
    form = ImportForm()
    if request.method == "GET":
        return _render_import(consultation, form)
    files, errors = read_uploads(request.files.getlist(form.document.name))
    form.has_file = bool(files or errors)
    if not form.validate():
        return _render_import(consultation, form), 422
    try:
        if errors:
            raise DraftUnreadable(errors[0], field="document")
        if files:
            if not files[0].filename.lower().endswith(".docx"):
                raise DraftUnreadable(_l("Choose a Word file (.docx), or paste the text instead."), field="document")
            end_transaction()  # nothing is locked or held open while the file is read (R40)
            sections = sections_from_blocks(read_in_child(files[0].filename, docx_blocks, files[0].data))
        else:
            sections = sections_from_text(form.text.data or "")
    except UnreadableFileError as error:
        put_domain_error(form, error, default=form.document, renamed={"attachments": "document"})
        return _render_import(consultation, form), 422
    except DraftUnreadable as error:
        put_domain_error(form, error, default=form.document if form.has_file else form.text)
        return _render_import(consultation, form), 422
    payload = _preview_serializer().dumps(
        {"consultation": consultation.id, "sections": [section.to_dict() for section in sections]}
    )
    return _render_import(consultation, form, sections=sections, confirm_form=ConfirmImportForm(payload=payload))


@bp.post("/consultations/<int:consultation_id>/import/confirm")
@require(Permission.consultation_manage)
def confirm_sections(consultation_id: int):
    """Replace the draft's sections by the previewed ones."""
    consultation = load(Consultation, consultation_id)
    form = ConfirmImportForm()
    if not form.validate():
        abort(400)
    try:
        previewed = _preview_serializer().loads(form.payload.data, max_age=IMPORT_PREVIEW_MAX_AGE)
    except BadSignature:
        flash(_l("The preview had expired or was altered. Read the draft again."))
        return redirect_to(url_for("staff.import_sections", consultation_id=consultation_id))
    if previewed.get("consultation") != consultation.id:
        abort(400)
    sections = [ParsedSection.from_dict(item) for item in previewed.get("sections", [])]
    return post_change(
        form,
        lambda: operations.replace_sections(consultation, sections, request_actor()),
        page=lambda: _render_import(consultation, ImportForm(formdata=None), confirm_form=form),
        lock=[consultation],
        then=_to_show(consultation_id),
        done=lambda count: _l("The draft now has %(count)d sections.", count=count),
    )


def _render_materials(consultation, form):
    return render_template(
        "staff/consultation_materials.html",
        consultation=consultation,
        form=form,
        allowed_types=ALLOWED_EXTENSIONS_TEXT,
    )


@bp.route("/consultations/<int:consultation_id>/materials", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def consultation_materials(consultation_id: int):
    consultation = load(Consultation, consultation_id)
    form = MaterialForm()
    if request.method == "GET":
        return _render_materials(consultation, form)
    files, errors = read_uploads(request.files.getlist(form.document.name))

    def attach():
        if errors:
            raise DomainError(errors[0], field="document")
        if not files:
            raise DomainError(_l("Choose the file to attach."), field="document")
        return operations.attach_material(
            consultation,
            files[0],
            title=form.title.data or "",
            kind=MaterialKind(form.kind.data),
            public=form.visibility.data == "public",
            actor=request_actor(),
            blob_store=blob_store(),
        )

    return post_change(
        form,
        attach,
        page=lambda: _render_materials(consultation, form),
        lock=[consultation],
        field=form.document,
        renamed=FORM_FIELD,
        then=url_for("staff.consultation_materials", consultation_id=consultation_id),
        done=_l("The file is attached."),
    )


@bp.post("/consultations/<int:consultation_id>/publish")
@require(Permission.consultation_manage)
def publish_consultation(consultation_id: int):
    """Open the draft for comment (R01: the 30-day rule is checked here once more)."""
    consultation = load(Consultation, consultation_id)
    form = ConfirmForm()
    return post_change(
        form,
        lambda: operations.open_consultation(consultation, request_actor()),
        page=lambda: _render_show(consultation, confirm_form=form),
        lock=[consultation],
        then=_to_show(consultation_id),
        done=_l("The consultation is published."),
    )


@bp.post("/consultations/<int:consultation_id>/extend")
@require(Permission.consultation_manage)
def extend_deadline(consultation_id: int):
    consultation = load(Consultation, consultation_id)
    form = ExtendDeadlineForm()
    return post_change(
        form,
        lambda: operations.extend_deadline(
            consultation,
            end_of_day(form.new_closes_on.data),
            form.reason.data or "",
            user=current_user,
            actor=request_actor(),
        ),
        page=lambda: _render_show(consultation, extend_form=form),
        lock=[consultation],
        renamed=FORM_FIELD,
        then=_to_show(consultation_id),
        done=_l("The deadline is extended; the public page shows the old and the new date."),
    )


@bp.post("/consultations/<int:consultation_id>/responding")
@require(Permission.consultation_manage)
def begin_responses(consultation_id: int):
    """closed → responding."""
    consultation = load(Consultation, consultation_id)
    form = ConfirmForm()
    return post_change(
        form,
        lambda: operations.begin_responses(consultation, request_actor()),
        page=lambda: _render_show(consultation, confirm_form=form),
        lock=[consultation],
        then=_to_show(consultation_id),
        done=_l("The consultation is now preparing its responses."),
    )


@bp.post("/consultations/<int:consultation_id>/inspection")
@require(Permission.consultation_manage)
def record_inspection(consultation_id: int):
    """responding → inspected, at a meeting whose final packet was made."""
    consultation = load(Consultation, consultation_id)
    form = _inspection_form(consultation, InspectionForm())
    return post_change(
        form,
        lambda: operations.record_inspection(
            consultation, load(Meeting, form.meeting_id.data or 0), form.outcome.data, request_actor()
        ),
        page=lambda: _render_show(consultation, inspection_form=form),
        lock=[consultation],
        then=_to_show(consultation_id),
        done=_l("The inspection is recorded. The results can now be prepared and published."),
    )


@bp.post("/consultations/<int:consultation_id>/archive")
@require(Permission.consultation_manage)
def archive_consultation(consultation_id: int):
    """results published → archived."""
    consultation = load(Consultation, consultation_id)
    form = ConfirmForm()
    return post_change(
        form,
        lambda: operations.archive_consultation(consultation, request_actor()),
        page=lambda: _render_show(consultation, confirm_form=form),
        lock=[consultation],
        then=_to_show(consultation_id),
        done=_l("The consultation is archived."),
    )


@bp.post("/consultations/<int:consultation_id>/close")
@require(Permission.consultation_manage)
def close_consultation(consultation_id: int):
    consultation = load(Consultation, consultation_id)
    form = ConfirmForm()
    return post_change(
        form,
        lambda: operations.close_consultation(consultation, request_actor()),
        page=lambda: _render_show(consultation, confirm_form=form),
        lock=[consultation],
        then=_to_show(consultation_id),
        done=_l("The consultation is closed."),
    )
