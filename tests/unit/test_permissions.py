"""The role map: personal data only for the roles that handle submissions."""

from comments.permissions import ROLE_PERMISSIONS, Permission, Role, has_permission


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
