"""One walk over every route with every role and anonymous (R26, R28, R36; style rule 13).

Every route of the back office must declare a permission; what each role gets follows the one role
map in permissions.py; every state-changing route refuses a POST without a CSRF token, even from someone
allowed to send it; no page is kept by a browser or a proxy.
"""

from __future__ import annotations

import pytest

from comments.extensions import csrf
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


def _role_holding(permission) -> Role:
    """The first role of the map that holds ``permission``: one that may make the POST, so only the missing
    token can refuse it (a role refused by its permissions would hide a route left without CSRF protection)."""
    return next(role for role in Role if permission in ROLE_PERMISSIONS[role])


def _clients_by_role(app):
    """A function of a role (None: anonymous) giving one client per role, signed in, in English."""
    clients = {}

    def client_as(role):
        if role not in clients:
            client = app.test_client()
            client.set_cookie("lang", "en")
            if role is not None:
                assert sign_in(client, make_user(role)).status_code == 303
            clients[role] = client
        return clients[role]

    return client_as


def posts_taken_without_a_csrf_token(app) -> list[str]:
    """Every POST route, sent without a token by someone allowed to send it: for a back-office route a role
    holding its permission; for a public or sign-in route both anonymous and signed in. Returns who got
    anything but the CSRF refusal (400 with its message; English, so the check holds before the catalog)."""
    client_as = _clients_by_role(app)
    taken = []
    for endpoint, method, url in route_samples(app):
        if method != "POST":
            continue
        permission = getattr(app.view_functions[endpoint], "required_permission", None)
        roles = [None, Role.member] if permission is None else [_role_holding(permission)]
        for role in roles:
            response = client_as(role).post(url, data={})
            refused = response.status_code == 400 and "The form had expired" in response.get_data(as_text=True)
            if not refused:
                who = "anonymous" if role is None else role.value
                taken.append(f"{endpoint} ({who}: {response.status_code})")
    return taken


def test_every_post_without_a_csrf_token_is_refused(app):
    assert posts_taken_without_a_csrf_token(app) == []


@pytest.mark.parametrize("blueprint", sorted(GUARDED_BLUEPRINTS | PUBLIC_BLUEPRINTS - {None}))
def test_the_csrf_check_finds_a_blueprint_left_unprotected(app, monkeypatch, blueprint):
    """The check above fails when any blueprint is exempted: each POST route of that blueprint, and only
    those, is reported. CSRFProtect is one object for every app, so the exemption is undone afterwards."""
    monkeypatch.setattr(csrf, "_exempt_blueprints", set(csrf._exempt_blueprints))
    csrf.exempt(app.blueprints[blueprint])
    taken = {entry.split(" ")[0] for entry in posts_taken_without_a_csrf_token(app)}
    posts = {endpoint for endpoint, method, _url in route_samples(app) if method == "POST"}
    assert taken == {endpoint for endpoint in posts if endpoint.startswith(f"{blueprint}.")}


def test_no_page_is_kept_by_a_browser_or_a_proxy(app):
    """R36: every page and file the service answers with, public or not, is sent ``no-store``; only the static
    files (style sheets, scripts) may be kept. Each GET route is asked by someone allowed to see it."""
    client_as = _clients_by_role(app)
    kept = []
    for endpoint, method, url in route_samples(app):
        if method != "GET":
            continue
        permission = getattr(app.view_functions[endpoint], "required_permission", None)
        role = None if permission is None else _role_holding(permission)
        response = client_as(role).get(url)
        if "no-store" not in response.headers.get("Cache-Control", ""):
            kept.append(f"{endpoint} ({response.status_code}: {response.headers.get('Cache-Control')})")
    assert kept == []
    assert "no-store" not in app.test_client().get("/static/style.css").headers.get("Cache-Control", "")


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
