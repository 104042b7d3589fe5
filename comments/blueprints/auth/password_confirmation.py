"""The password entered again before the final packet or the audit trail is exported (R27); the rule and its
window are in comments/blueprints/reauthentication.py."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from comments.blueprints.actors import request_actor
from comments.blueprints.auth import bp
from comments.blueprints.auth.forms import PasswordConfirmForm
from comments.blueprints.links import safe_next
from comments.blueprints.reauthentication import note_password_confirmed
from comments.domain.accounts import confirm_password as password_is_right
from comments.domain.responses import REAUTHENTICATION_WINDOW
from comments.extensions import db, limiter
from comments.throttles import SIGN_IN_FAILURES, account_key, sign_in_failures_per_account


def _own_account_key() -> str:
    return account_key(current_user.email)


def _password_refused(_response) -> bool:
    return bool(g.get("password_refused"))


def _render(form: PasswordConfirmForm, target: str):
    minutes = int(REAUTHENTICATION_WINDOW.total_seconds() // 60)
    return render_template("auth/password_confirm.html", form=form, target=target, minutes=minutes)


@bp.route("/confirm-password", methods=["GET", "POST"])
@login_required
# Wrong passwords here count with the sign-in form's and the approval's, per account: a session left open is
# no way round the sign-in limit. Over it, even the right password waits (429).
@limiter.shared_limit(
    sign_in_failures_per_account,
    SIGN_IN_FAILURES,
    key_func=_own_account_key,
    methods=["POST"],
    deduct_when=_password_refused,
)
def confirm_password():
    """Ask for the password; once it is right, go on to ``?next=`` (a path of this site, else the account page)."""
    target = safe_next(request.args.get("next")) or url_for("auth.account")
    form = PasswordConfirmForm()
    if request.method == "GET":
        return _render(form, target)
    if not form.validate():
        return _render(form, target), 422
    if not password_is_right(current_user, form.password.data, request_actor()):
        db.session.commit()  # the failed attempt stays in the audit trail
        g.password_refused = True
        form.password.errors = [_l("The password is wrong. Enter the password you sign in with.")]
        return _render(form, target), 422
    db.session.commit()
    note_password_confirmed()
    return redirect(target, code=303)
