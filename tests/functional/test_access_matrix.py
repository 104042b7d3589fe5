"""One walk over every route with every role and anonymous (R26, R28; style rule 13).

Every route of the back office must declare a permission; what each role gets follows the one role
map in permissions.py; every state-changing route refuses a POST without a CSRF token.
"""

from __future__ import annotations

import pytest

from comments.permissions import ROLE_PERMISSIONS, Role
from tests.conftest import csrf_token_from
from tests.factories import make_user
from tests.functional.auth_helpers import sign_in

PUBLIC_BLUEPRINTS = {"public", "auth", None}
GUARDED_BLUEPRINTS = {"staff", "admin", "committee"}


def route_samples(app):
    """(endpoint, method, url) for every rule, with made-up values for its arguments."""
    samples = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {}
        for name in rule.arguments:
            converter = type(rule._converters[name]).__name__
            values[name] = 1 if converter in ("IntegerConverter", "NumberConverter") else "x"
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            samples.append((rule.endpoint, method, url))
    return samples


def test_every_back_office_route_declares_a_permission(app):
    missing = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0] if "." in rule.endpoint else None
        if blueprint in PUBLIC_BLUEPRINTS or rule.endpoint == "static":
            continue
        assert blueprint in GUARDED_BLUEPRINTS, f"{rule.endpoint}: a new blueprint must be listed here"
        view = app.view_functions[rule.endpoint]
        if getattr(view, "required_permission", None) is None:
            missing.append(rule.endpoint)
    assert missing == []


def test_every_post_without_a_csrf_token_is_refused(app, client):
    member = make_user(Role.member)
    sign_in(client, member)
    for endpoint, method, url in route_samples(app):
        if method != "POST":
            continue
        response = client.post(url, data={})
        assert response.status_code in (400, 403), f"{endpoint} accepted a POST without a CSRF token"


def _client_for(app, role):
    client = app.test_client()
    if role is not None:
        user = make_user(role)
        assert sign_in(client, user).status_code == 303
        token = csrf_token_from(client.get("/auth/account").get_data(as_text=True))
    else:
        token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    return client, token


@pytest.mark.parametrize("role", [None, *Role], ids=lambda role: "anonymous" if role is None else role.value)
def test_what_each_role_gets_on_every_route(app, role):
    client, token = _client_for(app, role)
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    for endpoint, method, url in route_samples(app):
        blueprint = endpoint.split(".")[0] if "." in endpoint else None
        if blueprint not in GUARDED_BLUEPRINTS:
            continue
        response = client.post(url, data={"csrf_token": token}) if method == "POST" else client.get(url)
        permission = app.view_functions[endpoint].required_permission
        where = f"{'anonymous' if role is None else role.value} {method} {url}"
        if role is None:
            assert response.status_code == 302, where
            assert "/auth/login" in response.headers["Location"], where
        elif permission in granted:
            assert response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where


def test_committee_members_never_reach_the_back_office(app):
    client, _token = _client_for(app, Role.member)
    assert client.get("/staff/").status_code == 403
    assert client.get("/admin/accounts").status_code == 403
