"""The one permission vocabulary of the service and the role map (style rule 6).

Permissions are named ``<area>:<resource>:<action>``. Every non-public route will name the permission
it needs; the public blueprint needs none. Roles are the people of the design: administrator,
secretariat, department staff, committee chair, committee member, observer. Personal data of
submitters is a permission of its own, so that only the roles that handle submissions hold it.
"""

from __future__ import annotations

import enum
import functools

from flask import abort, current_app, request
from flask_login import current_user


class Role(enum.StrEnum):
    administrator = "administrator"
    secretariat = "secretariat"
    department_staff = "department_staff"
    chair = "chair"
    member = "member"
    observer = "observer"


class Permission(enum.StrEnum):
    consultation_manage = "staff:consultation:manage"
    submission_read = "staff:submission:read"
    submission_enter = "staff:submission:enter"
    personal_data_read = "staff:personal_data:read"
    response_draft = "staff:response:draft"
    response_approve = "staff:response:approve"
    mail_quarantine_review = "staff:mail_quarantine:review"
    committee_material_read = "committee:material:read"
    committee_question_send = "committee:question:send"
    account_manage = "admin:account:manage"
    audit_review = "admin:audit:review"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.administrator: frozenset({Permission.account_manage, Permission.audit_review}),
    Role.secretariat: frozenset(
        {
            Permission.consultation_manage,
            Permission.submission_read,
            Permission.submission_enter,
            Permission.personal_data_read,
            Permission.response_draft,
            Permission.response_approve,
            Permission.committee_material_read,
            Permission.mail_quarantine_review,
        }
    ),
    Role.department_staff: frozenset({Permission.submission_read, Permission.response_draft}),
    Role.chair: frozenset({Permission.committee_material_read, Permission.committee_question_send}),
    Role.member: frozenset({Permission.committee_material_read, Permission.committee_question_send}),
    Role.observer: frozenset({Permission.committee_material_read, Permission.committee_question_send}),
}


def has_permission(roles, permission: Permission) -> bool:
    """Whether any of ``roles`` grants ``permission``; unknown roles grant nothing."""
    return any(permission in ROLE_PERMISSIONS.get(role, frozenset()) for role in roles)


def require(permission: Permission):
    """Decorate a view: anonymous visitors go to the login page, signed-in users without
    ``permission`` get 403. The permission is kept on the view for the blueprint guard and the
    access-matrix test."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorate


def guard_blueprint(blueprint) -> None:
    """A forgotten decorator still denies: every view of ``blueprint`` must declare its permission."""

    @blueprint.before_request
    def _guard():
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "required_permission", None) is None:
            abort(403)
