"""Back-office views: preparing, checking and publishing a consultation's results (issue 5, point 8)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.results_forms import OmitForm, RedactForm
from comments.domain import DomainError
from comments.domain.publication import (
    omit_entry,
    prepare_results,
    publish_results,
    published_entries,
    redact_entry,
)
from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, PublicationEntry
from comments.permissions import Permission, require
from comments.transactions import begin_write, read_before_write


def _consultation(consultation_id: int) -> Consultation:
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or consultation.status == ConsultationStatus.draft:
        abort(404)
    return consultation


def _entry(entry_id: int) -> PublicationEntry:
    entry = db.session.get(PublicationEntry, entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.get("/consultations/<int:consultation_id>/results")
@require(Permission.consultation_manage)
def show_results_draft(consultation_id: int):
    """The redacted copy as it will be published, every redaction with its reason, and the forms."""
    consultation = _consultation(consultation_id)
    return render_template(
        "staff/results.html",
        consultation=consultation,
        entries=published_entries(consultation),
        redact_form=RedactForm(),
        omit_form=OmitForm(),
    )


def _change(consultation_id: int, change, done):
    begin_write()
    try:
        change()
    except DomainError as error:
        db.session.rollback()
        flash(error.message)
        return redirect(url_for("staff.show_results_draft", consultation_id=consultation_id), code=303)
    db.session.commit()
    flash(done)
    return redirect(url_for("staff.show_results_draft", consultation_id=consultation_id), code=303)


@bp.post("/consultations/<int:consultation_id>/results/prepare")
@require(Permission.consultation_manage)
def prepare_results_copy(consultation_id: int):
    read_before_write()
    consultation = _consultation(consultation_id)
    return _change(
        consultation.id,
        lambda: prepare_results(consultation, actor=request_actor()),
        _l("The results are prepared. Check each line and its redactions, then publish."),
    )


@bp.post("/consultations/<int:consultation_id>/results/publish")
@require(Permission.consultation_manage)
def publish_results_now(consultation_id: int):
    read_before_write()
    consultation = _consultation(consultation_id)
    return _change(
        consultation.id,
        lambda: publish_results(consultation, actor=request_actor()),
        _l("The results are published."),
    )


@bp.post("/results/<int:entry_id>/redact")
@require(Permission.consultation_manage)
def redact_results_entry(entry_id: int):
    read_before_write()
    entry = _entry(entry_id)
    form = RedactForm()
    if not form.validate():
        flash(_l("Write why this is removed."))
        return redirect(url_for("staff.show_results_draft", consultation_id=entry.consultation_id), code=303)
    return _change(
        entry.consultation_id,
        lambda: redact_entry(
            entry,
            field=form.field.data,
            text=form.text.data,
            reason=form.reason.data,
            user=current_user,
            actor=request_actor(),
        ),
        _l("The line is changed and the reason recorded."),
    )


@bp.post("/results/<int:entry_id>/omit")
@require(Permission.consultation_manage)
def omit_results_entry(entry_id: int):
    read_before_write()
    entry = _entry(entry_id)
    form = OmitForm()
    if not form.validate():
        flash(_l("Write why this opinion is not published."))
        return redirect(url_for("staff.show_results_draft", consultation_id=entry.consultation_id), code=303)
    return _change(
        entry.consultation_id,
        lambda: omit_entry(entry, reason=form.reason.data, user=current_user, actor=request_actor()),
        _l("The line will not be published; its reason will be."),
    )
