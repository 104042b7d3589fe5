"""Account administration: accounts offered by mail (the invitee chooses the password through a one-time
link), sent again or cancelled while they wait (comments/domain/invitations.py)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments.blueprints.actors import request_actor
from comments.blueprints.admin import bp
from comments.blueprints.admin.account_roles import chosen_department, offer_role_choices
from comments.blueprints.admin.forms import ConfirmForm, InvitationForm
from comments.blueprints.links import public_url
from comments.blueprints.views import load, post_change
from comments.domain.invitations import cancel_invitation, invite_user, resend_invitation
from comments.models import AccountInvitation
from comments.permissions import Permission, Role, require


def _link_for(token: str) -> str:
    return public_url("auth.accept_invitation_link", token=token)


@bp.route("/accounts/invite", methods=["GET", "POST"])
@require(Permission.account_manage)
def invite_account():
    """Offer an account by mail, with its roles and department."""
    form = InvitationForm()
    offer_role_choices(form)

    def page():
        return render_template("admin/account_invite.html", form=form)

    if not form.is_submitted():
        return page()
    return post_change(
        form,
        lambda: invite_user(
            email=form.email.data,
            display_name=form.display_name.data,
            roles={Role(value) for value in form.roles.data or []},
            department=chosen_department(form),
            invited_by=current_user,
            link_for=_link_for,
            actor=request_actor(),
        ),
        page=page,
        field=form.email,
        renamed={"department": "department_id"},
        then=url_for("admin.list_accounts"),
        done=lambda invitation: _l("The invitation is sent to %(email)s.", email=invitation.email),
    )


@bp.post("/invitations/<int:invitation_id>/resend")
@require(Permission.account_manage)
def resend_account_invitation(invitation_id: int):
    invitation = load(AccountInvitation, invitation_id)
    return post_change(
        ConfirmForm(),
        lambda: resend_invitation(invitation, link_for=_link_for, actor=request_actor()),
        page=None,
        lock=[invitation],
        then=url_for("admin.list_accounts"),
        done=_l("The invitation is sent again to %(email)s; the earlier link no longer works.", email=invitation.email),
    )


@bp.post("/invitations/<int:invitation_id>/cancel")
@require(Permission.account_manage)
def cancel_account_invitation(invitation_id: int):
    invitation = load(AccountInvitation, invitation_id)
    return post_change(
        ConfirmForm(),
        lambda: cancel_invitation(invitation, cancelled_by=current_user, actor=request_actor()),
        page=None,
        lock=[invitation],
        then=url_for("admin.list_accounts"),
        done=_l("The invitation to %(email)s is cancelled.", email=invitation.email),
    )
