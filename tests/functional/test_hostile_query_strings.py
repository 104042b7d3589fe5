"""Every route, sent query strings a browser never makes, answers with a page and never a 5xx (issue 11,
item 9): a line break or a NUL that could reach a header, names that mean something to ``url_for``
(``_method``, ``_external``, ``_anchor``), bytes that are not UTF-8, repeated keys, an over-long value.

And every redirect that takes its target from the request stays on this site (issue 11, item 4)."""

from __future__ import annotations

import pytest

from comments.permissions import Role
from tests.factories import make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.test_access_matrix import GUARDED_BLUEPRINTS, _client_for, route_samples

HOSTILE_QUERIES = [
    # A line break, a NUL and bytes that are not UTF-8 where a header or a filter may take them, and the names
    # url_for reads as its own options.
    "next=/%0a/x&q=%0d%0aSet-Cookie:%20a=b&_method=POST&_external=1&_anchor=x&_scheme=javascript&_cls=x"
    "&page=%00&search=%00&status=%ff%fe&start=2026-13-45&end=%E3%81",
    # Repeated keys and numbers no database column holds.
    "page=1&page=2&page=-1&status=open&status=closed&diff=1&diff=x&split=99999999999999999999999&join=-5",
    # Over-long values and very many keys.
    "actor=" + "x" * 5000 + "&q=" + "あ" * 3000 + "&" + "&".join(f"k{i}=v" for i in range(300)),
]


@pytest.mark.parametrize("role", [None, Role.administrator, Role.secretariat, Role.member])
def test_no_route_answers_a_hostile_query_string_with_a_server_error(app, role):
    client, token = _client_for(app, role)
    failures = []
    # Pages first, then the forms' POSTs, signing out last: a POST may end the session the pages need.
    samples = sorted(route_samples(app), key=lambda sample: (sample[1] == "POST", sample[0] == "auth.logout"))
    for endpoint, method, url in samples:
        for query in HOSTILE_QUERIES:
            target = f"{url}?{query}"
            response = client.post(target, data={"csrf_token": token}) if method == "POST" else client.get(target)
            guarded = endpoint.split(".")[0] in GUARDED_BLUEPRINTS
            if role is not None and guarded and "/auth/login" in response.headers.get("Location", ""):
                failures.append(f"signed out before {method} {url}: the walk proves nothing after it")
            if response.status_code >= 500:
                failures.append(f"{method} {target[:120]} -> {response.status_code} ({endpoint})")
            location = response.headers.get("Location", "")
            if "\n" in location or "\r" in location or location.startswith(("//", "http://x", "javascript")):
                failures.append(f"{method} {target[:120]} -> Location {location!r}")
    assert failures == []


OFF_SITE = [
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d/evil.example/phish",
    "//evil.example",
    "/\\evil.example",
    "%5C%5Cevil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "/%20/evil.example",
    "%2F%2Fevil.example",
    "/%E3%80%80/evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_goes_back_only_to_a_page_of_this_site(client, target):
    response = client.get(f"/language/en?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_language_switch_goes_back_to_the_page_it_came_from(client):
    response = client.get("/language/en?next=/consultations/x%3Fa%3D1")
    assert response.headers["Location"] == "/consultations/x?a=1"


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_goes_on_only_to_a_page_of_this_site(app, target):
    client = app.test_client()
    client.get(f"/auth/login?next={target}")
    response = sign_in(client, make_user(Role.administrator))
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil" not in location


def test_sign_in_goes_on_to_the_page_that_asked_for_it(app):
    client = app.test_client()
    client.get("/auth/login?next=/admin/audit%3Factor%3Dx")
    response = sign_in(client, make_user(Role.administrator))
    assert response.headers["Location"] == "/admin/audit?actor=x"
