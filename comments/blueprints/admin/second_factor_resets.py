"""Account administration: a second factor reset by two administrators, one asking with the reason and another
confirming (comments/domain/second_factor_resets.py)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments.blueprints.actors import request_actor
from comments.blueprints.admin import bp
from comments.blueprints.admin.account_roles import load_other_account
from comments.blueprints.admin.forms import ConfirmForm, SecondFactorResetForm
from comments.blueprints.views import load, post_change
from comments.domain.second_factor_resets import (
    cancel_second_factor_reset,
    confirm_second_factor_reset,
    request_second_factor_reset,
)
from comments.models import SecondFactorReset
from comments.permissions import Permission, require


@bp.route("/accounts/<int:user_id>/second-factor-reset", methods=["GET", "POST"])
@require(Permission.account_manage)
def request_account_second_factor_reset(user_id: int):
    """Ask, with the reason, for the account's second factor to be reset; another administrator confirms."""
    user = load_other_account(user_id)
    form = SecondFactorResetForm()

    def page():
        return render_template("admin/second_factor_reset_request.html", user=user, form=form)

    if not form.is_submitted():
        return page()
    return post_change(
        form,
        lambda: request_second_factor_reset(
            user, reason=form.reason.data, requested_by=current_user, actor=request_actor()
        ),
        page=page,
        lock=[user],
        field=form.reason,
        then=url_for("admin.show_account", user_id=user.id),
        done=_l(
            "The reset of the second factor of %(name)s waits for another administrator's confirmation.",
            name=user.display_name,
        ),
    )


def _load_reset(reset_id: int) -> SecondFactorReset:
    """A request about another person's account: its owner neither confirms nor cancels it (404 as if absent)."""
    return load(SecondFactorReset, reset_id, visible=lambda reset: reset.user_id != current_user.id)


@bp.post("/second-factor-resets/<int:reset_id>/confirm")
@require(Permission.account_manage)
def confirm_account_second_factor_reset(reset_id: int):
    reset = _load_reset(reset_id)
    return post_change(
        ConfirmForm(),
        lambda: confirm_second_factor_reset(reset, confirmed_by=current_user, actor=request_actor()),
        page=None,
        lock=[reset, reset.user],
        then=url_for("admin.show_account", user_id=reset.user_id),
        done=lambda ended: _l(
            "The second factor of %(name)s is reset; %(count)d open session(s) ended. A new one is set up at the "
            "next sign-in.",
            name=reset.user.display_name,
            count=ended,
        ),
    )


@bp.post("/second-factor-resets/<int:reset_id>/cancel")
@require(Permission.account_manage)
def cancel_account_second_factor_reset(reset_id: int):
    reset = _load_reset(reset_id)
    return post_change(
        ConfirmForm(),
        lambda: cancel_second_factor_reset(reset, cancelled_by=current_user, actor=request_actor()),
        page=None,
        lock=[reset],
        then=url_for("admin.show_account", user_id=reset.user_id),
        done=_l("The request to reset the second factor of %(name)s is cancelled.", name=reset.user.display_name),
    )
