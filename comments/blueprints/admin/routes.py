"""Account administration: every account with its roles and last login, one account's page, the periodic
review; deactivation ends its sessions. The audit trail's review is here too."""

from __future__ import annotations

from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.admin import bp
from comments.blueprints.admin.forms import AuditFilterForm, AuditReviewForm, ConfirmForm, ReviewForm
from comments.blueprints.reauthentication import require_recent_password
from comments.blueprints.views import commit_change, load, post_change, redirect_to
from comments.domain.accounts import (
    active_session_count,
    deactivate_user,
    dormant_accounts,
    last_account_review,
    record_account_review,
)
from comments.domain.audit import record_event
from comments.domain.audit_review import (
    CSV_HEADER,
    AuditFilter,
    People,
    export_rows,
    find_events,
    flag_unusual,
    recent_reviews,
    record_audit_review,
)
from comments.domain.deadlines import end_of_day, start_of_day
from comments.domain.invitations import open_invitations
from comments.domain.second_factor_resets import waiting_second_factor_resets
from comments.domain.transfers import recent_transfers, waiting_transfers
from comments.exports.csv import build_csv
from comments.extensions import db
from comments.models import AccountTransfer, SecondFactorReset, User
from comments.permissions import Permission, require


@bp.get("/accounts")
@require(Permission.account_manage)
def list_accounts():
    """The administrator's home: every account with its roles, last sign-in and open sessions, the invitations
    waiting, the second-factor resets waiting for a second administrator, and the last periodic review."""
    users = db.session.execute(select(User).order_by(User.email)).scalars().all()
    return render_template(
        "admin/account_list.html",
        users=users,
        last_review=last_account_review(),
        open_sessions={user.id: active_session_count(user) for user in users},
        invitations=open_invitations(),
        resets=waiting_second_factor_resets(),
        waiting_transfer_count=len(waiting_transfers()),
        now=clock.now(),
    )


@bp.get("/accounts/<int:user_id>")
@require(Permission.account_manage)
def show_account(user_id: int):
    """One account: its roles and department, and what an administrator can do with it (change the roles,
    record a transfer, reset the second factor, deactivate), with its transfers and second-factor resets."""
    user = load(User, user_id)
    transfers = db.session.scalars(
        select(AccountTransfer).where(AccountTransfer.user_id == user.id).order_by(AccountTransfer.id.desc())
    ).all()
    resets = db.session.scalars(
        select(SecondFactorReset).where(SecondFactorReset.user_id == user.id).order_by(SecondFactorReset.id.desc())
    ).all()
    return render_template(
        "admin/account_show.html",
        user=user,
        open_sessions=active_session_count(user),
        transfers=transfers,
        resets=resets,
        now=clock.now(),
    )


@bp.get("/accounts/review")
@require(Permission.account_manage)
def show_account_review():
    """The periodic review: accounts not used for 90 days, transfers not carried out yet, the transfers
    carried out, and the record that every account and role was reviewed."""
    return render_template(
        "admin/account_review.html",
        dormant=dormant_accounts(),
        waiting=waiting_transfers(),
        transfers=recent_transfers(),
        review_form=ReviewForm(),
        last_review=last_account_review(),
        today=clock.japan_today(),
    )


@bp.post("/accounts/review")
@require(Permission.account_manage)
def review_accounts():
    form = ReviewForm()
    return post_change(
        form,
        lambda: record_account_review(current_user, form.note.data, request_actor()),
        page=None,
        then=url_for("admin.show_account_review"),
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
        people=People(),
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
