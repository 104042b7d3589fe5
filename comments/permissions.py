"""The one permission vocabulary of the service and the role map (style rule 6).

Permissions are named ``<area>:<resource>:<action>``. Every non-public route names the permission it
needs; the public blueprint needs none. Roles are the people of the design: administrator, secretariat,
department staff, approvers (of one department, 所属長, or of the whole city), committee chair, committee
member, observer. Approvers approve what others drafted and draft nothing themselves. Personal data of
submitters is a permission of its own, so that only the roles that handle submissions hold it.

Object rules are permissions too (style rule 7): ``allowed(user, permission, obj)`` says whether the
user holds the permission *for that object*. Consultations and items belong to a department, and a
role's *scope* permission says whose: every department's (the secretariat) or the user's own
(department staff, R26); a role's scope reaches that role's permissions only. Views, templates and the
domain's queries all ask here, so adding a role is one line in ``ROLE_PERMISSIONS`` and a migration for
the role's name, nothing else.
"""

from __future__ import annotations

import enum
import functools

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import false, true


class Role(enum.StrEnum):
    administrator = "administrator"
    secretariat = "secretariat"
    department_staff = "department_staff"
    # Approvers (所属長, or the secretariat's head) approve responses and draft none, so an office with one
    # secretariat account can still have every response approved by someone who did not write it (R25).
    department_approver = "department_approver"
    city_approver = "city_approver"
    chair = "chair"
    member = "member"
    observer = "observer"


class Permission(enum.StrEnum):
    consultation_manage = "staff:consultation:manage"
    submission_read = "staff:submission:read"
    submission_enter = "staff:submission:enter"
    # Replace an attachment by a redacted copy (黒塗り), destroying the original (R14).
    attachment_redact = "staff:attachment:redact"
    personal_data_read = "staff:personal_data:read"
    # See the items and their responses (the queue, the response page) and add reviewers' comments.
    response_review = "staff:response:review"
    response_draft = "staff:response:draft"
    response_approve = "staff:response:approve"
    # See the inquiries (照会) tied to the items in scope, answers not for publication included.
    inquiry_read = "staff:inquiry:read"
    mail_quarantine_review = "staff:mail_quarantine:review"
    committee_material_read = "committee:material:read"
    committee_question_send = "committee:question:send"
    # The chair finalises the minutes on the committee's behalf and approves its report to the council.
    minutes_finalise = "committee:minutes:finalise"
    council_report_approve = "committee:council_report:approve"
    account_manage = "admin:account:manage"
    # Create, rename and merge departments (a reorganisation moves everything of one office to another).
    department_manage = "admin:department:manage"
    audit_review = "admin:audit:review"
    # The service's own state: how far behind the worker is, the thresholds, its last work (no personal data).
    service_status_read = "admin:service_status:read"
    # Scopes: whose consultations and items the permissions above reach.
    every_department = "staff:department:every"
    own_department = "staff:department:own"
    # Not a right but a duty: these accounts sign in with a second factor (R20).
    second_factor = "account:second_factor:required"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.administrator: frozenset(
        {
            Permission.account_manage,
            Permission.department_manage,
            Permission.audit_review,
            Permission.service_status_read,
            Permission.second_factor,
        }
    ),
    Role.secretariat: frozenset(
        {
            Permission.consultation_manage,
            Permission.submission_read,
            Permission.submission_enter,
            Permission.attachment_redact,
            Permission.personal_data_read,
            Permission.response_review,
            Permission.response_draft,
            Permission.response_approve,
            Permission.inquiry_read,
            Permission.committee_material_read,
            Permission.mail_quarantine_review,
            Permission.every_department,
            Permission.second_factor,
        }
    ),
    Role.department_staff: frozenset(
        {
            Permission.submission_read,
            Permission.response_review,
            Permission.response_draft,
            Permission.inquiry_read,
            Permission.own_department,
            Permission.second_factor,
        }
    ),
    Role.department_approver: frozenset(
        {
            Permission.submission_read,
            Permission.response_review,
            Permission.response_approve,
            Permission.inquiry_read,
            Permission.own_department,
            Permission.second_factor,
        }
    ),
    Role.city_approver: frozenset(
        {
            Permission.submission_read,
            Permission.response_review,
            Permission.response_approve,
            Permission.inquiry_read,
            Permission.every_department,
            Permission.second_factor,
        }
    ),
    Role.chair: frozenset(
        {
            Permission.committee_material_read,
            Permission.committee_question_send,
            Permission.minutes_finalise,
            Permission.council_report_approve,
        }
    ),
    Role.member: frozenset({Permission.committee_material_read, Permission.committee_question_send}),
    Role.observer: frozenset({Permission.committee_material_read, Permission.committee_question_send}),
}


# How a committee role's questions are counted in the packet: as a member's (部会委員) or an observer's.
# The values are SubmitterKind's; a role missing here sends no questions.
QUESTIONS_COUNT_AS: dict[Role, str] = {Role.chair: "member", Role.member: "member", Role.observer: "observer"}


def has_permission(roles, permission: Permission) -> bool:
    """Whether any of ``roles`` grants ``permission``; unknown roles grant nothing."""
    return any(permission in ROLE_PERMISSIONS.get(role, frozenset()) for role in roles)


def roles_with(permission: Permission) -> frozenset[Role]:
    """The roles that grant ``permission``, for a query over accounts (the committee's members, say)."""
    return frozenset(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


def _roles_granting(roles, permission: Permission | None):
    """The roles among ``roles`` that grant ``permission`` (all of them when None). A role's scope reaches
    only its own permissions: one department's staff who is also the city's approver drafts for that
    department alone, and approves for every department."""
    if permission is None:
        return roles
    return [role for role in roles if permission in ROLE_PERMISSIONS.get(role, frozenset())]


def in_scope(user, department_id: int | None, permission: Permission | None = None) -> bool:
    """Whether ``user``'s scope reaches the department ``department_id``: every department, or their own;
    with ``permission``, the scope of the roles that grant it."""
    roles = _roles_granting(user.roles, permission)
    if has_permission(roles, Permission.every_department):
        return True
    return (
        department_id is not None
        and user.department_id == department_id
        and has_permission(roles, Permission.own_department)
    )


def allowed(user, permission: Permission, obj=None) -> bool:
    """Whether the active ``user`` holds ``permission``, and, for an object that belongs to a department
    (it has a ``department_id``: a consultation, an item assigned to one), holds it for that object (R26).
    A ``department_id`` of None (an item not assigned yet) is reached by every-department scopes only."""
    if not user.active or not has_permission(user.roles, permission):
        return False
    if obj is None or not hasattr(obj, "department_id"):
        return True
    return in_scope(user, obj.department_id, permission)


def scope_condition(user, department_column, permission: Permission | None = None):
    """The SQL condition ``allowed`` applies, on a query's department column: what the user's scope reaches
    (for ``permission``: what the scope of the roles granting it reaches)."""
    roles = _roles_granting(user.roles, permission)
    if has_permission(roles, Permission.every_department):
        return true()
    if has_permission(roles, Permission.own_department) and user.department_id is not None:
        return department_column == user.department_id
    return false()


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
