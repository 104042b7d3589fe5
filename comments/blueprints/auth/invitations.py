"""The invitee's page: the one-time link from the invitation mail, where the account is made with a password
of the invitee's choosing; the second factor follows when the roles need one (comments/domain/invitations.py)."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from comments.blueprints.actors import request_actor
from comments.blueprints.auth import bp
from comments.blueprints.auth.forms import NewPasswordForm
from comments.blueprints.auth.routes import _per_address_limit, continue_sign_in
from comments.domain import DomainError
from comments.domain.invitations import LinkState, accept_invitation, invitation_for_link
from comments.extensions import db, limiter
from comments.permissions import Permission, has_permission

# What the invitee reads when the link does not work, and the status: 404 for a link that never was one,
# 410 (Gone) for one that was, and 409 while someone is signed in in this browser.
REFUSALS = {
    LinkState.unknown: (
        404,
        _l("This link is not valid. Check that the whole address from the mail was opened, or ask the administrator."),
    ),
    LinkState.accepted: (410, _l("This invitation was already used: the account exists. Sign in with it.")),
    LinkState.cancelled: (
        410,
        _l("This invitation was cancelled. Ask the administrator if you still need an account."),
    ),
    LinkState.expired: (410, _l("This invitation has expired. Ask the administrator to send it again.")),
}
SIGNED_IN = (409, _l("You are signed in with another account. Sign out, then open the link from the mail again."))


def _refusal(status: int, message):
    return render_template("auth/invitation_refused.html", message=message), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"])
def accept_invitation_link(token: str):
    """Choose a password for the account an administrator offered, then sign in (with the second factor's
    setup when the roles need one)."""
    invitation, state = invitation_for_link(token)
    if state is not LinkState.pending:
        return _refusal(*REFUSALS[state])
    if current_user.is_authenticated:
        return _refusal(*SIGNED_IN)
    form = NewPasswordForm()

    def page():
        return render_template(
            "auth/invitation_accept.html",
            form=form,
            invitation=invitation,
            token=token,
            needs_second_factor=has_permission(invitation.roles, Permission.second_factor),
        )

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(), 422
    try:
        user = accept_invitation(invitation, password=form.password.data, actor=request_actor())
    except DomainError as error:
        db.session.rollback()
        form.password.errors = [*form.password.errors, error.message]
        return page(), 422
    return continue_sign_in(user)
