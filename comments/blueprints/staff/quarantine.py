"""Back-office views: the e-mail intake's quarantine, which the secretariat releases or rejects (R59-R63)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments.blueprints.actors import request_actor
from comments.blueprints.staff import bp
from comments.blueprints.staff.quarantine_forms import RejectForm, ReleaseForm
from comments.blueprints.uploads import download_response
from comments.blueprints.views import commit_change, load, post_change
from comments.domain.audit import record_event
from comments.domain.committee import committee_members, consultations_under_inspection
from comments.extensions import db
from comments.ingestion.mail.quarantine import (
    REASONS,
    quarantined_messages,
    read_quarantined,
    read_release_attachments,
    reject_message,
    release_message,
)
from comments.models import Consultation, InboundMessage, InboundStatus, User
from comments.permissions import Permission, require
from comments.storage import blob_store


@bp.get("/mail")
@require(Permission.mail_quarantine_review)
def list_quarantine():
    """What waits for a decision, and what was dropped or decided lately (no sender shown here)."""
    return render_template(
        "staff/quarantine_list.html",
        waiting=quarantined_messages(),
        recent=quarantined_messages((InboundStatus.dropped, InboundStatus.released, InboundStatus.rejected)),
        reasons=REASONS,
    )


def _not_filed(message: InboundMessage) -> bool:
    """A message filed as a question has nothing for the quarantine: it is in the inbox."""
    return message.status != InboundStatus.accepted


def _release_form(message: InboundMessage) -> ReleaseForm:
    form = ReleaseForm()
    form.consultation_id.choices = [(c.id, c.title) for c in consultations_under_inspection()]
    form.member_id.choices = [(u.id, f"{u.display_name} <{u.email}>") for u in committee_members()]
    if not form.is_submitted():
        form.consultation_id.data = message.consultation_id
        form.member_id.data = message.member_id
    return form


def _render_message(message, release_form=None, reject_form=None):
    """The message with its sender, subject and text: personal data, so the look is recorded first (R45)."""
    commit_change(lambda: record_event(request_actor(), "personal_data.viewed", message, reason=message.reason))
    return render_template(
        "staff/quarantine_show.html",
        message=message,
        parsed=read_quarantined(message, blob_store()),
        reasons=REASONS,
        release_form=release_form or _release_form(message),
        reject_form=reject_form or RejectForm(),
    )


@bp.get("/mail/<int:message_id>")
@require(Permission.mail_quarantine_review)
def show_quarantined(message_id: int):
    return _render_message(load(InboundMessage, message_id, visible=_not_filed))


@bp.get("/mail/<int:message_id>/original")
@require(Permission.mail_quarantine_review)
def download_quarantined(message_id: int):
    """The message exactly as it came, as an .eml download (never rendered)."""
    message = load(InboundMessage, message_id, visible=_not_filed)
    commit_change(lambda: record_event(request_actor(), "personal_data.exported", message, what="original message"))
    return download_response(message.raw_sha256, f"message-{message.id}.eml", "message/rfc822")


@bp.post("/mail/<int:message_id>/release")
@require(Permission.mail_quarantine_review)
def release_quarantined(message_id: int):
    message = load(InboundMessage, message_id, visible=_not_filed)
    form = _release_form(message)
    return post_change(
        form,
        lambda files: release_message(
            message,
            consultation=db.session.get(Consultation, form.consultation_id.data),
            member=db.session.get(User, form.member_id.data),
            note=form.note.data,
            decided_by=current_user,
            actor=request_actor(),
            blob_store=blob_store(),
            files=files,
        ),
        prepare=lambda: read_release_attachments(message, blob_store()),
        page=lambda: _render_message(message, release_form=form),
        lock=[message],
        field=form.note,
        then=url_for("staff.list_quarantine"),
        done=lambda _released: _l(
            "Released as a question of the member. Receipt number: %(receipt)s",
            receipt=message.submission.receipt_number,
        ),
    )


@bp.post("/mail/<int:message_id>/reject")
@require(Permission.mail_quarantine_review)
def reject_quarantined(message_id: int):
    message = load(InboundMessage, message_id, visible=_not_filed)
    form = RejectForm()
    return post_change(
        form,
        lambda: reject_message(message, note=form.note.data, decided_by=current_user, actor=request_actor()),
        page=lambda: _render_message(message, reject_form=form),
        lock=[message],
        field=form.note,
        then=url_for("staff.list_quarantine"),
        done=_l("The message is rejected; it stays on record with your reason."),
    )
