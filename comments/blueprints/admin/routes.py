"""Account administration: every account with its roles and last login; deactivation ends its sessions."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from comments.blueprints.admin import bp
from comments.blueprints.admin.forms import ConfirmForm
from comments.domain.accounts import deactivate_user
from comments.domain.audit import Actor
from comments.extensions import db
from comments.models import User
from comments.permissions import Permission, require


@bp.get("/accounts")
@require(Permission.account_manage)
def list_accounts():
    g.no_store = True
    users = db.session.execute(select(User).order_by(User.email)).scalars().all()
    return render_template("admin/account_list.html", users=users, form=ConfirmForm())


@bp.post("/accounts/<int:user_id>/deactivate")
@require(Permission.account_manage)
def deactivate_account(user_id: int):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash(_l("You cannot deactivate your own account."))
        return redirect(url_for("admin.list_accounts"), code=303)
    if not ConfirmForm().validate():
        abort(400)
    ended = deactivate_user(
        user, Actor(f"user:{current_user.id}", ip=request.remote_addr, request_id=g.get("request_id"))
    )
    db.session.commit()
    flash(_l("%(name)s is deactivated; %(count)d open session(s) ended.", name=user.display_name, count=ended))
    return redirect(url_for("admin.list_accounts"), code=303)
