"""Account administration: transfers (異動), recorded for today (carried out at once) or ahead of their day
(carried out by the worker on that day, or by an administrator's button before), and cancelled while they
wait (comments/domain/transfers.py)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.admin import bp
from comments.blueprints.admin.account_roles import (
    NO_DEPARTMENT,
    chosen_department,
    load_other_account,
    offer_role_choices,
)
from comments.blueprints.admin.forms import ConfirmForm, TransferForm
from comments.blueprints.views import load, post_change
from comments.domain.transfers import cancel_transfer, carry_out_transfer, record_transfer
from comments.models import AccountTransfer
from comments.permissions import Permission, Role, require


def _done(transfer: AccountTransfer):
    if transfer.pending:
        return _l(
            "The transfer of %(name)s is recorded; it is carried out on its date.", name=transfer.user.display_name
        )
    return _l(
        "The transfer of %(name)s is carried out: the account keeps only what the new post needs, and its open "
        "sessions are ended.",
        name=transfer.user.display_name,
    )


@bp.route("/accounts/<int:user_id>/transfer", methods=["GET", "POST"])
@require(Permission.account_manage)
def record_account_transfer(user_id: int):
    """Record a transfer: its date, the new post, and the roles and department kept for it (none unless chosen)."""
    user = load_other_account(user_id)
    form = TransferForm()
    offer_role_choices(form)

    def page():
        return render_template("admin/account_transfer.html", user=user, form=form, today=clock.japan_today())

    if not form.is_submitted():
        form.effective_on.data = clock.japan_today()
        form.department_id.data = NO_DEPARTMENT
        return page()
    return post_change(
        form,
        lambda: record_transfer(
            user,
            effective_on=form.effective_on.data,
            new_post=form.new_post.data,
            kept_roles={Role(value) for value in form.roles.data or []},
            kept_department=chosen_department(form),
            recorded_by=current_user,
            actor=request_actor(),
        ),
        page=page,
        lock=[user],
        field=form.new_post,
        renamed={"department": "department_id"},
        then=url_for("admin.show_account", user_id=user.id),
        done=_done,
    )


def _load_transfer(transfer_id: int) -> AccountTransfer:
    """A transfer of another person's account: nobody carries out or cancels their own."""
    return load(AccountTransfer, transfer_id, visible=lambda transfer: transfer.user_id != current_user.id)


@bp.post("/transfers/<int:transfer_id>/carry-out")
@require(Permission.account_manage)
def carry_out_account_transfer(transfer_id: int):
    transfer = _load_transfer(transfer_id)
    return post_change(
        ConfirmForm(),
        lambda: carry_out_transfer(transfer, carried_out_by=current_user, actor=request_actor()),
        page=None,
        lock=[transfer, transfer.user],
        then=url_for("admin.show_account_review"),
        done=lambda ended: _l(
            "The transfer of %(name)s is carried out; %(count)d open session(s) ended.",
            name=transfer.user.display_name,
            count=ended,
        ),
    )


@bp.post("/transfers/<int:transfer_id>/cancel")
@require(Permission.account_manage)
def cancel_account_transfer(transfer_id: int):
    transfer = _load_transfer(transfer_id)
    return post_change(
        ConfirmForm(),
        lambda: cancel_transfer(transfer, cancelled_by=current_user, actor=request_actor()),
        page=None,
        lock=[transfer],
        then=url_for("admin.show_account_review"),
        done=_l("The planned transfer of %(name)s is cancelled.", name=transfer.user.display_name),
    )
