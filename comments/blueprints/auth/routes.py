"""Sign-in views. The rules (password check, TOTP, sessions) live in domain/accounts.py."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from comments import clock
from comments.blueprints.actors import request_actor
from comments.blueprints.auth import bp
from comments.blueprints.auth.forms import CodeForm, LoginForm, LogoutForm, NewPasswordForm, PasswordResetRequestForm
from comments.blueprints.links import public_url, safe_next
from comments.blueprints.reauthentication import note_password_confirmed
from comments.domain import DomainError
from comments.domain.accounts import (
    authenticate,
    enable_totp,
    end_session,
    new_totp_secret,
    normalise_email,
    request_password_reset,
    reset_password,
    start_session,
    totp_uri,
    user_for_reset_token,
    verify_totp,
)
from comments.domain.audit import record_event
from comments.extensions import db, limiter
from comments.models import User, UserSession
from comments.throttles import SIGN_IN_FAILURES, account_key, sign_in_failures_per_account

PENDING_MINUTES = 5


def _home_for(user: User) -> str:
    from comments.permissions import Permission

    if user.can(Permission.submission_read):
        return url_for("staff.home")
    if user.can(Permission.account_manage):
        return url_for("admin.list_accounts")
    # The chair, members and observers work on the committee portal, not on their account page.
    if user.can(Permission.committee_material_read):
        return url_for("committee.home")
    return url_for("auth.account")


def _account_key() -> str:
    return account_key(normalise_email(request.form.get("email", "")))


def _per_address_limit() -> str:
    return f"{current_app.config['LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE']}/minute"


def _failed(response) -> bool:
    return response.status_code != 303


def _finish_login(user: User, *, second_factor_passed: bool):
    """A fresh session: the cookie's old contents are dropped and a new random session id is issued."""
    next_url = safe_next(session.get("next"))
    row = start_session(user, request_actor(f"user:{user.id}"), second_factor_passed=second_factor_passed)
    db.session.commit()
    session.clear()
    user.session_id = row.id
    login_user(user)
    note_password_confirmed()  # a sign-in is a recent authentication (R27)
    return redirect(next_url or _home_for(user), code=303)


def _pending_user() -> User | None:
    pending = session.get("pending_login")
    if not pending:
        return None
    started = clock.now().timestamp() - pending.get("at", 0)
    if started > timedelta(minutes=PENDING_MINUTES).total_seconds():
        session.pop("pending_login", None)
        return None
    user = db.session.get(User, pending.get("user_id"))
    return user if user is not None and user.active else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"])
# Shared with the approval's password (staff/responses.py): wrong passwords of one account count together.
@limiter.shared_limit(
    sign_in_failures_per_account, SIGN_IN_FAILURES, key_func=_account_key, methods=["POST"], deduct_when=_failed
)
def login():
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    if request.method == "GET":
        target = safe_next(request.args.get("next"))
        if target:
            session["next"] = target
        return render_template("auth/login.html", form=form)
    if not form.validate():
        return render_template("auth/login.html", form=form), 422
    user = authenticate(form.email.data, form.password.data, request_actor())
    if user is None:
        db.session.commit()  # the failed attempt stays in the audit trail
        form.form_errors.append(_l("The e-mail address or the password is wrong, or the account is not active."))
        return render_template("auth/login.html", form=form), 401
    return continue_sign_in(user)


def continue_sign_in(user: User):
    """After the password (at sign-in, or chosen through an invitation): signed in at once, or on to the
    second factor, set up first if the account has none yet."""
    if not user.needs_second_factor:
        return _finish_login(user, second_factor_passed=False)
    db.session.commit()
    session["pending_login"] = {"user_id": user.id, "at": clock.now().timestamp()}
    if user.totp_enabled:
        return redirect(url_for("auth.second_factor"), code=303)
    session["pending_totp_secret"] = new_totp_secret()
    return redirect(url_for("auth.setup_second_factor"), code=303)


def _pending_key() -> str:
    return "login-code:" + str((session.get("pending_login") or {}).get("user_id", request.remote_addr))


@bp.route("/second-factor", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"])
@limiter.limit("10/10minutes", key_func=_pending_key, methods=["POST"], deduct_when=_failed)
def second_factor():
    user = _pending_user()
    if user is None or not user.totp_enabled:
        flash(_l("Sign in again: the sign-in took too long or was not started."))
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if request.method == "POST":
        if form.validate() and verify_totp(user, form.code.data):
            return _finish_login(user, second_factor_passed=True)
        record_event(request_actor(f"user:{user.id}"), "login.second_factor_failed", user)
        db.session.commit()
        form.code.errors = [_l("The code is wrong or has already been used. Enter the current code.")]
        return render_template("auth/second_factor.html", form=form), 401
    return render_template("auth/second_factor.html", form=form)


@bp.route("/second-factor/setup", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"])
@limiter.limit("10/10minutes", key_func=_pending_key, methods=["POST"], deduct_when=_failed)
def setup_second_factor():
    """First sign-in of a role that needs a second factor: register an authenticator app now (R20)."""
    user = _pending_user()
    secret = session.get("pending_totp_secret")
    if user is None or secret is None or user.totp_enabled:
        return redirect(url_for("auth.login"))
    form = CodeForm()
    status = 200
    if request.method == "POST":
        if form.validate() and verify_totp(user, form.code.data, secret=secret):
            enable_totp(user, secret, request_actor(f"user:{user.id}"))
            return _finish_login(user, second_factor_passed=True)
        form.code.errors = [_l("The code is wrong. Check the app was set up with the key below and try again.")]
        status = 401
    return render_template(
        "auth/second_factor_setup.html", form=form, secret=secret, uri=totp_uri(user, secret)
    ), status


@bp.post("/logout")
@login_required
def logout():
    form = LogoutForm()
    if form.validate():
        row = db.session.get(UserSession, current_user.session_id)
        if row is not None:
            end_session(row, request_actor(f"user:{current_user.id}"))
            db.session.commit()
    logout_user()
    session.clear()
    flash(_l("You have signed out."))
    return redirect(url_for("auth.login"), code=303)


@bp.get("/account")
@login_required
def account():
    from comments.blueprints.auth.notifications import render_account

    return render_account()


@bp.route("/password-reset", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"])
def request_reset():
    """Ask for a reset link by e-mail; the answer is the same whether or not the address has an account."""
    form = PasswordResetRequestForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("auth/password_reset_request.html", form=form), 422
        request_password_reset(
            form.email.data,
            lambda token: public_url("auth.reset_with_token", token=token),
            request_actor(),
        )
        db.session.commit()
        flash(_l("If the address has an account, a link to choose a new password is on its way."))
        return redirect(url_for("auth.login"), code=303)
    return render_template("auth/password_reset_request.html", form=form)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
@limiter.limit(_per_address_limit, methods=["POST"])
def reset_with_token(token: str):
    user = user_for_reset_token(token)
    if user is None:
        flash(_l("The link has expired or was already used. Ask for a new one."))
        return redirect(url_for("auth.request_reset"))
    form = NewPasswordForm()
    if request.method == "POST":
        if form.validate():
            try:
                reset_password(user, form.password.data, request_actor(f"user:{user.id}"))
            except DomainError as error:
                db.session.rollback()
                form.password.errors = [error.message]
            else:
                db.session.commit()
                flash(_l("Your password is changed. Sign in with it."))
                return redirect(url_for("auth.login"), code=303)
        return render_template("auth/password_reset.html", form=form, token=token), 422
    return render_template("auth/password_reset.html", form=form, token=token)
