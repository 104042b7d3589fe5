"""The role map and the object rules: personal data only for the roles that handle submissions, and each
department's consultations and items only for that department's staff and the secretariat."""

from types import SimpleNamespace

import sqlalchemy as sa

from comments.permissions import (
    QUESTIONS_COUNT_AS,
    ROLE_PERMISSIONS,
    Permission,
    Role,
    allowed,
    has_permission,
    roles_with,
    scope_condition,
)


def test_every_permission_is_named_area_resource_action():
    for permission in Permission:
        assert len(permission.value.split(":")) == 3, permission


def test_personal_data_is_for_the_secretariat_only():
    holders = {role for role, granted in ROLE_PERMISSIONS.items() if Permission.personal_data_read in granted}
    assert holders == {Role.secretariat}


def test_roles_grant_only_what_the_map_says():
    assert has_permission([Role.member], Permission.committee_question_send)
    assert not has_permission([Role.member], Permission.submission_read)
    assert not has_permission([], Permission.submission_read)
    assert not has_permission(["nobody"], Permission.audit_review)
    assert has_permission([Role.member, Role.administrator], Permission.audit_review)


# --- Object rules: a consultation or an item is reached within the user's department scope (R26) ----------


def account(*roles, department_id=None, active=True):
    """What permissions.allowed reads of an account: whether it is active, its roles and its department."""
    return SimpleNamespace(active=active, roles=frozenset(roles), department_id=department_id)


def owned_by(department_id):
    """A consultation or an item as the rules see it: it belongs to a department, or to none yet."""
    return SimpleNamespace(department_id=department_id)


def test_the_secretariat_reaches_every_department_and_what_has_none_yet():
    clerk = account(Role.secretariat)
    assert allowed(clerk, Permission.submission_read, owned_by(7))
    assert allowed(clerk, Permission.response_draft, owned_by(None))


def test_department_staff_reach_their_own_department_only():
    staff = account(Role.department_staff, department_id=7)
    assert allowed(staff, Permission.submission_read, owned_by(7))
    assert not allowed(staff, Permission.submission_read, owned_by(8))
    assert not allowed(staff, Permission.response_draft, owned_by(None))  # not assigned yet: the secretariat's
    assert not allowed(account(Role.department_staff), Permission.submission_read, owned_by(None))
    assert not allowed(staff, Permission.personal_data_read, owned_by(7))  # the permission itself first


def test_an_inactive_account_and_a_role_without_a_scope_reach_nothing():
    assert not allowed(account(Role.secretariat, active=False), Permission.submission_read)
    member = account(Role.member, department_id=7)
    assert allowed(member, Permission.committee_question_send)
    assert not allowed(member, Permission.submission_read, owned_by(7))


def test_the_sql_scope_says_what_allowed_says():
    column = sa.column("department_id")
    assert str(scope_condition(account(Role.secretariat), column)) == "true"
    assert (
        str(scope_condition(account(Role.department_staff, department_id=7), column))
        == "department_id = :department_id_1"
    )
    assert str(scope_condition(account(Role.department_staff), column)) == "false"
    assert str(scope_condition(account(Role.member, department_id=7), column)) == "false"


def test_duties_and_committee_roles_come_from_the_map():
    assert roles_with(Permission.second_factor) == {
        Role.administrator,
        Role.secretariat,
        Role.department_staff,
        Role.department_approver,
        Role.city_approver,
    }
    assert roles_with(Permission.committee_question_send) == set(QUESTIONS_COUNT_AS)


# --- Approvers: they approve and draft nothing; a role's scope reaches its own permissions only (R25, R26) --


def test_approvers_approve_and_read_and_draft_nothing():
    for role in (Role.department_approver, Role.city_approver):
        granted = ROLE_PERMISSIONS[role]
        assert Permission.response_approve in granted and Permission.response_review in granted
        assert Permission.inquiry_read in granted and Permission.submission_read in granted
        assert granted.isdisjoint(
            {Permission.response_draft, Permission.consultation_manage, Permission.personal_data_read}
        )


def test_a_departments_approver_reaches_that_department_and_the_citys_every_one():
    head = account(Role.department_approver, department_id=7)
    assert allowed(head, Permission.response_approve, owned_by(7))
    assert not allowed(head, Permission.response_approve, owned_by(8))
    assert not allowed(head, Permission.response_approve, owned_by(None))
    city = account(Role.city_approver)
    assert allowed(city, Permission.response_approve, owned_by(8))
    assert allowed(city, Permission.response_review, owned_by(None))
    assert not allowed(city, Permission.response_draft, owned_by(8))


def test_a_roles_scope_reaches_only_that_roles_permissions():
    # One department's staff who is also the city's approver: approves for every department, drafts for one.
    both = account(Role.department_staff, Role.city_approver, department_id=7)
    assert allowed(both, Permission.response_approve, owned_by(8))
    assert allowed(both, Permission.response_draft, owned_by(7))
    assert not allowed(both, Permission.response_draft, owned_by(8))
    column = sa.column("department_id")
    assert str(scope_condition(both, column, Permission.response_draft)) == "department_id = :department_id_1"
    assert str(scope_condition(both, column, Permission.response_approve)) == "true"
