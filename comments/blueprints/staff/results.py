"""Back-office views: preparing, checking and publishing a consultation's results (R04-R07)."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.consultation_forms import ConfirmForm
from comments.blueprints.staff.results_forms import CorrectForm, OmitForm, RedactForm, WithdrawForm
from comments.blueprints.views import load, post_change
from comments.domain.publication import (
    FIELD_LABELS,
    correct_published_entry,
    omit_entry,
    prepare_results,
    publish_results,
    published_entries,
    redact_entry,
    results_changes,
    results_withdrawn,
    withdraw_results,
)
from comments.models import Consultation, ConsultationStatus, PublicationEntry
from comments.permissions import Permission, require


def _published_for_comment(consultation: Consultation) -> bool:
    return consultation.status != ConsultationStatus.draft


def _results_url(consultation_id: int) -> str:
    return url_for("staff.show_results_draft", consultation_id=consultation_id)


@bp.get("/consultations/<int:consultation_id>/results")
@require(Permission.consultation_manage)
def show_results_draft(consultation_id: int):
    """The redacted copy as it will be published, every redaction with its reason, and the forms."""
    consultation = load(Consultation, consultation_id, visible=_published_for_comment)
    return render_template(
        "staff/results.html",
        consultation=consultation,
        entries=published_entries(consultation),
        redact_form=RedactForm(),
        omit_form=OmitForm(),
        correct_form=CorrectForm(),
        withdraw_form=WithdrawForm(),
        changes=results_changes(consultation),
        withdrawn=results_withdrawn(consultation),
        parts=FIELD_LABELS,
    )


@bp.post("/consultations/<int:consultation_id>/results/prepare")
@require(Permission.consultation_manage)
def prepare_results_copy(consultation_id: int):
    consultation = load(Consultation, consultation_id, visible=_published_for_comment)
    return post_change(
        ConfirmForm(),
        lambda: prepare_results(consultation, actor=request_actor()),
        page=None,
        lock=[consultation],
        then=_results_url(consultation_id),
        done=_l("The results are prepared. Check each line and its redactions, then publish."),
    )


@bp.post("/consultations/<int:consultation_id>/results/publish")
@require(Permission.consultation_manage)
def publish_results_now(consultation_id: int):
    consultation = load(Consultation, consultation_id, visible=_published_for_comment)
    return post_change(
        ConfirmForm(),
        lambda: publish_results(consultation, confirmed=request.form.get("confirm") == "y", actor=request_actor()),
        page=None,
        lock=[consultation],
        then=_results_url(consultation_id),
        done=_l("The results are published."),
    )


@bp.post("/results/<int:entry_id>/redact")
@require(Permission.consultation_manage)
def redact_results_entry(entry_id: int):
    entry = load(PublicationEntry, entry_id)
    form = RedactForm()
    return post_change(
        form,
        lambda: redact_entry(
            entry,
            field=form.field.data,
            text=form.text.data,
            reason=form.reason.data,
            user=current_user,
            actor=request_actor(),
        ),
        page=None,
        lock=[entry],
        then=_results_url(entry.consultation_id),
        done=_l("The line is changed and the reason recorded."),
    )


@bp.post("/results/<int:entry_id>/omit")
@require(Permission.consultation_manage)
def omit_results_entry(entry_id: int):
    entry = load(PublicationEntry, entry_id)
    form = OmitForm()
    return post_change(
        form,
        lambda: omit_entry(entry, reason=form.reason.data, user=current_user, actor=request_actor()),
        page=None,
        lock=[entry],
        then=_results_url(entry.consultation_id),
        done=_l("The line will not be published; its reason will be."),
    )


@bp.post("/results/<int:entry_id>/correct")
@require(Permission.consultation_manage)
def correct_results_entry(entry_id: int):
    """Correct a line of published results; the public page says what changed, when and why."""
    entry = load(PublicationEntry, entry_id)
    form = CorrectForm()
    return post_change(
        form,
        lambda: correct_published_entry(
            entry,
            field=form.field.data,
            text=form.text.data,
            reason=form.reason.data,
            user=current_user,
            actor=request_actor(),
        ),
        page=None,
        lock=[entry],
        then=_results_url(entry.consultation_id),
        done=_l("The line is corrected; the public page says what changed, when and why."),
    )


@bp.post("/consultations/<int:consultation_id>/results/withdraw")
@require(Permission.consultation_manage)
def withdraw_published_results(consultation_id: int):
    consultation = load(Consultation, consultation_id, visible=_published_for_comment)
    form = WithdrawForm()
    return post_change(
        form,
        lambda: withdraw_results(consultation, reason=form.reason.data, user=current_user, actor=request_actor()),
        page=None,
        lock=[consultation],
        then=_results_url(consultation_id),
        done=_l("The results are withdrawn; the public page says so, with the reason."),
    )
