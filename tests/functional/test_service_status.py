"""The administrator's service status page (運用状況): each worker job's backlog against its threshold, reached
by a link from the administrator's home page, and for the administrator alone."""

from __future__ import annotations

from datetime import timedelta

import lxml.html
import pytest

from comments.permissions import Role
from tests.factories import make_consultation, make_user
from tests.functional.auth_helpers import sign_in
from tests.functional.helpers import post_comment

URL = "/admin/service-status"


def signed_in(app, role):
    client = app.test_client()
    client.set_cookie("lang", "en")
    if role is not None:
        response = sign_in(client, make_user(role))
        assert response.status_code == 303
    return client


def row_cells(page: str, row_id: str) -> list[str]:
    [row] = lxml.html.fromstring(page).xpath(f'//tr[@id="{row_id}"]')
    return [cell.text_content().strip() for cell in row]


def test_the_administrator_reaches_it_by_a_link_from_home(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    signed = sign_in(client, make_user(Role.administrator))
    home = signed.headers["Location"]  # where an administrator lands after signing in
    assert home.endswith("/admin/accounts")
    links = lxml.html.fromstring(client.get(home).get_data(as_text=True)).xpath(f'//a[@href="{URL}"]')
    assert [link.text_content() for link in links] == ["Service status"]
    page = client.get(URL)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    assert tree.xpath("//h1")[0].text_content() == "Service status"
    [table] = tree.xpath('//table[@id="backlogs"]')
    assert table.xpath("caption")
    assert all(header.get("scope") == "col" for header in table.xpath("thead//th"))
    assert [header.get("scope") for header in table.xpath("tbody//th")] == ["row", "row", "row"]


@pytest.mark.parametrize("role", [Role.secretariat, Role.department_staff, Role.city_approver, Role.member])
def test_other_roles_are_refused(app, role):
    client = signed_in(app, role)
    assert client.get(URL).status_code == 403
    assert f'href="{URL}"' not in client.get("/auth/account").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(app):
    response = signed_in(app, None).get(URL)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_backlog_shows_and_turns_late_past_its_threshold(app, frozen_clock):
    consultation = make_consultation()
    citizen = app.test_client()
    for _ in range(3):
        assert post_comment(citizen, consultation, name="千葉 花子", email="hanako@example.jp").status_code == 303
    client = signed_in(app, Role.administrator)

    page = client.get(URL).get_data(as_text=True)
    job, waiting, _since, _waited, threshold, state = row_cells(page, "backlog-search")
    assert (job, waiting, threshold, state) == (
        "Indexing submissions for search",
        "3",
        "15 min",
        "Within the threshold",
    )
    assert row_cells(page, "backlog-mail")[1] == "3"
    assert "The worker looks alive" in page
    assert "千葉 花子" not in page and "hanako@example.jp" not in page

    frozen_clock.set(frozen_clock.current + timedelta(minutes=16))
    page = client.get(URL).get_data(as_text=True)
    _job, waiting, _since, waited, _threshold, state = row_cells(page, "backlog-search")
    assert (waiting, waited, state) == ("3", "16 min", "Over the threshold")
    assert "The worker looks stopped or failing" in page
