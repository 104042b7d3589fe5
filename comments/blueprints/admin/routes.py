"""Account administration: every account with its roles and last login; deactivation ends its sessions."""

from __future__ import annotations

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from comments.blueprints.actors import request_actor
from comments.blueprints.admin import bp
from comments.blueprints.admin.forms import AuditFilterForm, AuditReviewForm, ConfirmForm, ReviewForm
from comments.blueprints.reauthentication import require_recent_password
from comments.blueprints.views import commit_change, load, post_change, redirect_to
from comments.domain.accounts import (
    active_session_count,
    deactivate_user,
    last_account_review,
    record_account_review,
)
from comments.domain.audit import record_event
from comments.domain.audit_review import (
    CSV_HEADER,
    AuditFilter,
    export_rows,
    find_events,
    flag_unusual,
    recent_reviews,
    record_audit_review,
)
from comments.domain.deadlines import end_of_day, start_of_day
from comments.exports.csv import build_csv
from comments.extensions import db
from comments.models import User
from comments.permissions import Permission, require


@bp.get("/accounts")
@require(Permission.account_manage)
def list_accounts():
    """Every account with its roles, last sign-in and open sessions, and the last periodic review."""
    users = db.session.execute(select(User).order_by(User.email)).scalars().all()
    return render_template(
        "admin/account_list.html",
        users=users,
        form=ConfirmForm(),
        review_form=ReviewForm(),
        last_review=last_account_review(),
        open_sessions={user.id: active_session_count(user) for user in users},
    )


@bp.post("/accounts/review")
@require(Permission.account_manage)
def review_accounts():
    form = ReviewForm()
    return post_change(
        form,
        lambda: record_account_review(current_user, form.note.data, request_actor()),
        page=None,
        then=url_for("admin.list_accounts"),
        done=_l("The review of all accounts is recorded."),
    )


def _audit_filter(form: AuditFilterForm) -> AuditFilter:
    return AuditFilter(
        actor=(form.actor.data or "").strip(),
        action=(form.action.data or "").strip(),
        start=start_of_day(form.start.data) if form.start.data else None,
        end=end_of_day(form.end.data) if form.end.data else None,
    )


AUDIT_FILTERS = ("actor", "action", "start", "end")


def _export_url() -> str:
    """The CSV of what the page shows: the filters only, never another name the query string carried
    (``_method``, ``_external`` would mean something to ``url_for``)."""
    return url_for(
        "admin.export_audit", **{name: request.args[name] for name in AUDIT_FILTERS if request.args.get(name)}
    )


@bp.get("/audit")
@require(Permission.audit_review)
def review_audit():
    """The audit trail with filters, the unusual patterns flagged, and who reviewed which period."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        return render_template(
            "admin/audit_review.html",
            form=form,
            events=[],
            flags=None,
            reviews=[],
            review_form=AuditReviewForm(),
            export_url=_export_url(),
        ), 422
    audit_filter = _audit_filter(form)
    review_form = AuditReviewForm(start=form.start.data, end=form.end.data)
    return render_template(
        "admin/audit_review.html",
        form=form,
        events=find_events(audit_filter),
        flags=flag_unusual(audit_filter),
        reviews=recent_reviews(),
        review_form=review_form,
        export_url=_export_url(),
    )


@bp.post("/audit/review")
@require(Permission.audit_review)
def mark_audit_reviewed():
    form = AuditReviewForm()
    return post_change(
        form,
        lambda: record_audit_review(
            start_of_day(form.start.data), end_of_day(form.end.data), current_user, form.note.data, request_actor()
        ),
        page=None,
        then=url_for("admin.review_audit"),
        done=_l("The period is marked as reviewed."),
    )


@bp.get("/audit.csv")
@require(Permission.audit_review)
@require_recent_password
def export_audit():
    """The filtered audit trail as CSV, only for someone who entered their password in the last five minutes
    (R27); the export itself goes into the trail."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        abort(400)
    audit_filter = _audit_filter(form)
    text = build_csv(CSV_HEADER, export_rows(audit_filter))
    commit_change(
        lambda: record_event(
            request_actor(),
            "audit.exported",
            User(),
            actor_filter=audit_filter.actor,
            action_filter=audit_filter.action,
        )
    )
    response = make_response(text)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/accounts/<int:user_id>/deactivate")
@require(Permission.account_manage)
def deactivate_account(user_id: int):
    user = load(User, user_id)
    if user.id == current_user.id:
        flash(_l("You cannot deactivate your own account."))
        return redirect_to(url_for("admin.list_accounts"))
    return post_change(
        ConfirmForm(),
        lambda: deactivate_user(user, request_actor()),
        page=None,
        lock=[user],
        then=url_for("admin.list_accounts"),
        done=lambda ended: _l(
            "%(name)s is deactivated; %(count)d open session(s) ended.", name=user.display_name, count=ended
        ),
    )
