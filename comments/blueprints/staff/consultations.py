"""Back-office views: the secretariat runs a consultation (create, edit, import, materials, publish,
extend, close). Thin views: load, authorize, validate, one domain call, commit once, redirect or render."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from comments.blueprints.actors import request_actor
from comments.blueprints.form_errors import put_domain_error
from comments.blueprints.staff import bp
from comments.blueprints.staff.consultation_forms import (
    ConfirmForm,
    ConfirmImportForm,
    ConsultationForm,
    ExtendDeadlineForm,
    ImportForm,
    MaterialForm,
)
from comments.blueprints.uploads import commit_or_discard, read_uploads
from comments.clock import JAPAN
from comments.domain import DomainError
from comments.domain import consultations as operations
from comments.domain.deadlines import end_of_day, period_days
from comments.domain.uploads import ALLOWED_EXTENSIONS_TEXT
from comments.extensions import db
from comments.ingestion.draft_import import DraftUnreadable, ParsedSection, sections_from_docx, sections_from_text
from comments.models import Consultation, MaterialKind
from comments.permissions import Permission, require
from comments.storage import blob_store

# The previewed sections travel to the confirm step signed, so nothing is kept on the server between
# the two requests and nobody can slip other text in; a preview older than this must be made again.
IMPORT_PREVIEW_MAX_AGE = 3600
# Domain errors name the stored attribute; the forms name what the person typed.
FORM_FIELD = {"opens_at": "opens_on", "closes_at": "closes_on"}


def _load(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    return consultation


def _put_error(form, error: DomainError) -> None:
    put_domain_error(form, error, renamed=FORM_FIELD)


def _preview_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="staff.import-sections")


@bp.get("/consultations")
@require(Permission.consultation_manage)
def list_consultations():
    g.no_store = True
    consultations = db.session.execute(select(Consultation).order_by(Consultation.opens_at.desc())).scalars().all()
    return render_template("staff/consultation_list.html", consultations=consultations)


def _render_edit(form: ConsultationForm, consultation: Consultation | None, status: int = 200):
    g.no_store = True
    return render_template("staff/consultation_edit.html", form=form, consultation=consultation), status


@bp.route("/consultations/new", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def new_consultation():
    form = ConsultationForm()
    if request.method == "GET" or not form.validate():
        return _render_edit(form, None, 200 if request.method == "GET" else 422)
    try:
        consultation = operations.create_consultation(form.to_details(), request_actor())
    except DomainError as error:
        db.session.rollback()
        _put_error(form, error)
        return _render_edit(form, None, 422)
    consultation_id = consultation.id
    db.session.commit()
    flash(_l("The consultation is saved as a draft. Import its sections next."))
    return redirect(url_for("staff.show_consultation", consultation_id=consultation_id), code=303)


def _render_show(consultation: Consultation, status: int = 200, **forms):
    g.no_store = True
    forms.setdefault("confirm_form", ConfirmForm())
    forms.setdefault("extend_form", ExtendDeadlineForm())
    days = period_days(consultation.opens_at, consultation.closes_at)
    return render_template("staff/consultation_show.html", consultation=consultation, days=days, **forms), status


@bp.get("/consultations/<int:consultation_id>")
@require(Permission.consultation_manage)
def show_consultation(consultation_id: int):
    """The secretariat's view of one consultation: details, the sections as they will be published,
    materials and the actions its state allows."""
    return _render_show(_load(consultation_id))


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def edit_consultation(consultation_id: int):
    consultation = _load(consultation_id)
    if request.method == "GET":
        form = ConsultationForm(
            obj=consultation,
            opens_on=consultation.opens_at.astimezone(JAPAN).date(),
            closes_on=(consultation.closes_at.astimezone(JAPAN) - timedelta(microseconds=1)).date(),
            postal_rule=consultation.postal_rule.value,
        )
        return _render_edit(form, consultation)
    form = ConsultationForm()
    if not form.validate():
        return _render_edit(form, consultation, 422)
    try:
        changed = operations.update_consultation(consultation, form.to_details(), request_actor())
    except DomainError as error:
        db.session.rollback()
        _put_error(form, error)
        return _render_edit(form, consultation, 422)
    db.session.commit()
    flash(_l("Saved.") if changed else _l("Nothing was changed."))
    return redirect(url_for("staff.show_consultation", consultation_id=consultation_id), code=303)


def _render_import(consultation, form, status=200, *, sections=None, confirm_form=None):
    g.no_store = True
    return (
        render_template(
            "staff/consultation_import.html",
            consultation=consultation,
            form=form,
            sections=sections,
            confirm_form=confirm_form,
        ),
        status,
    )


@bp.route("/consultations/<int:consultation_id>/import", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def import_sections(consultation_id: int):
    """Read the draft from a Word file or pasted text and show the sections found; nothing is saved yet."""
    consultation = _load(consultation_id)
    form = ImportForm()
    if request.method == "GET":
        return _render_import(consultation, form)
    files, errors = read_uploads(request.files.getlist(form.document.name))
    form.has_file = bool(files or errors)
    if not form.validate():
        return _render_import(consultation, form, 422)
    try:
        if errors:
            raise DomainError(errors[0], field="document")
        if files:
            if not files[0].filename.lower().endswith(".docx"):
                raise DomainError(_l("Choose a Word file (.docx), or paste the text instead."), field="document")
            sections = sections_from_docx(files[0].data)
        else:
            sections = sections_from_text(form.text.data or "")
    except (DomainError, DraftUnreadable) as error:
        put_domain_error(form, error, default=form.document if form.has_file else form.text)
        return _render_import(consultation, form, 422)
    payload = _preview_serializer().dumps(
        {"consultation": consultation.id, "sections": [section.to_dict() for section in sections]}
    )
    return _render_import(consultation, form, sections=sections, confirm_form=ConfirmImportForm(payload=payload))


@bp.post("/consultations/<int:consultation_id>/import/confirm")
@require(Permission.consultation_manage)
def confirm_sections(consultation_id: int):
    """Replace the draft's sections by the previewed ones."""
    consultation = _load(consultation_id)
    form = ConfirmImportForm()
    if not form.validate():
        abort(400)
    try:
        previewed = _preview_serializer().loads(form.payload.data, max_age=IMPORT_PREVIEW_MAX_AGE)
    except BadSignature:
        flash(_l("The preview had expired or was altered. Read the draft again."))
        return redirect(url_for("staff.import_sections", consultation_id=consultation_id), code=303)
    if previewed.get("consultation") != consultation.id:
        abort(400)
    sections = [ParsedSection.from_dict(item) for item in previewed.get("sections", [])]
    try:
        count = operations.replace_sections(consultation, sections, request_actor())
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _render_import(consultation, ImportForm(formdata=None), 422, confirm_form=form)
    db.session.commit()
    flash(_l("The draft now has %(count)d sections.", count=count))
    return redirect(url_for("staff.show_consultation", consultation_id=consultation_id), code=303)


def _render_materials(consultation, form, status=200):
    g.no_store = True
    return (
        render_template(
            "staff/consultation_materials.html",
            consultation=consultation,
            form=form,
            allowed_types=ALLOWED_EXTENSIONS_TEXT,
        ),
        status,
    )


@bp.route("/consultations/<int:consultation_id>/materials", methods=["GET", "POST"])
@require(Permission.consultation_manage)
def consultation_materials(consultation_id: int):
    consultation = _load(consultation_id)
    form = MaterialForm()
    if request.method == "GET":
        return _render_materials(consultation, form)
    if not form.validate():
        return _render_materials(consultation, form, 422)
    files, errors = read_uploads(request.files.getlist(form.document.name))
    try:
        if errors:
            raise DomainError(errors[0], field="document")
        if not files:
            raise DomainError(_l("Choose the file to attach."), field="document")
        material, created = operations.attach_material(
            consultation,
            files[0],
            title=form.title.data or "",
            kind=MaterialKind(form.kind.data),
            public=form.visibility.data == "public",
            actor=request_actor(),
            blob_store=blob_store(),
        )
    except DomainError as error:
        db.session.rollback()
        _put_error(form, DomainError(error.message, field=error.field or "document"))
        return _render_materials(consultation, form, 422)
    commit_or_discard([material.sha256] if created else [])
    flash(_l("The file is attached."))
    return redirect(url_for("staff.consultation_materials", consultation_id=consultation_id), code=303)


@bp.post("/consultations/<int:consultation_id>/publish")
@require(Permission.consultation_manage)
def publish_consultation(consultation_id: int):
    """Open the draft for comment (R01: the 30-day rule is checked here once more)."""
    consultation = _load(consultation_id)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    try:
        operations.open_consultation(consultation, request_actor())
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _render_show(consultation, 422, confirm_form=form)
    db.session.commit()
    flash(_l("The consultation is published."))
    return redirect(url_for("staff.show_consultation", consultation_id=consultation_id), code=303)


@bp.post("/consultations/<int:consultation_id>/extend")
@require(Permission.consultation_manage)
def extend_deadline(consultation_id: int):
    consultation = _load(consultation_id)
    form = ExtendDeadlineForm()
    if not form.validate():
        return _render_show(consultation, 422, extend_form=form)
    try:
        operations.extend_deadline(
            consultation,
            end_of_day(form.new_closes_on.data),
            form.reason.data or "",
            user=current_user,
            actor=request_actor(),
        )
    except DomainError as error:
        db.session.rollback()
        _put_error(form, error)
        return _render_show(consultation, 422, extend_form=form)
    db.session.commit()
    flash(_l("The deadline is extended; the public page shows the old and the new date."))
    return redirect(url_for("staff.show_consultation", consultation_id=consultation_id), code=303)


@bp.post("/consultations/<int:consultation_id>/close")
@require(Permission.consultation_manage)
def close_consultation(consultation_id: int):
    consultation = _load(consultation_id)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    try:
        operations.close_consultation(consultation, request_actor())
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(error.message)
        return _render_show(consultation, 422, confirm_form=form)
    db.session.commit()
    flash(_l("The consultation is closed."))
    return redirect(url_for("staff.show_consultation", consultation_id=consultation_id), code=303)
