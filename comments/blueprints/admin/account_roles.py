"""Account administration: the roles of an account and its department, granted and withdrawn (an approver of
one department or of the whole city, department staff, the secretariat ...)."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from comments.blueprints.actors import request_actor
from comments.blueprints.admin import bp
from comments.blueprints.admin.forms import RolesForm
from comments.blueprints.views import load, post_change
from comments.domain.accounts import change_roles
from comments.extensions import db
from comments.labels import label
from comments.models import Department, User
from comments.permissions import Permission, Role, require

NO_DEPARTMENT = ""


def offer_role_choices(form) -> None:
    """Every role and every department (and none) as the choices of ``form``'s ``roles`` and ``department_id``."""
    form.roles.choices = [SelectChoice(role.value, label(role)) for role in Role]
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    form.department_id.choices = [
        SelectChoice(NO_DEPARTMENT, _l("No department")),
        *(SelectChoice(str(department.id), department.name) for department in departments),
    ]


def chosen_department(form) -> Department | None:
    value = form.department_id.data or NO_DEPARTMENT
    return None if value == NO_DEPARTMENT else db.session.get(Department, int(value))


def load_other_account(user_id: int) -> User:
    """The account, or 404; an administrator's own roles are changed by another administrator, so nobody
    grants themselves a role or takes away the last administrator's by mistake."""
    return load(User, user_id, visible=lambda user: user.id != current_user.id)


@bp.route("/accounts/<int:user_id>/roles", methods=["GET", "POST"])
@require(Permission.account_manage)
def edit_account_roles(user_id: int):
    """Grant and withdraw the roles of an account, and set its department."""
    user = load_other_account(user_id)
    form = RolesForm()
    offer_role_choices(form)

    def page():
        return render_template("admin/account_roles.html", user=user, form=form)

    if form.is_submitted():
        return post_change(
            form,
            lambda: change_roles(
                user,
                roles={Role(value) for value in form.roles.data or []},
                department=chosen_department(form),
                actor=request_actor(),
            ),
            page=page,
            lock=[user],
            field=form.roles,
            renamed={"department": "department_id"},
            then=url_for("admin.show_account", user_id=user.id),
            done=_l("The roles of %(name)s are saved.", name=user.display_name),
        )
    form.roles.data = sorted(role.value for role in user.roles)
    form.department_id.data = str(user.department_id) if user.department_id else NO_DEPARTMENT
    return page()
