"""R27: the final packet and the audit trail leave only after the password was entered in the last five
minutes (signing in counts); a wrong password is a failed sign-in, in the trail and against the limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from sqlalchemy import select

from comments.extensions import db
from comments.models import AuditEvent, ConsultationStatus
from comments.permissions import Role
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, make_consultation, make_meeting, make_user
from tests.functional.auth_helpers import sign_in

LATER = timedelta(minutes=6)


def _events(action: str, user) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor == f"user:{user.id}")
    ).all()


def _signed_in(app, role, frozen_clock):
    """A client signed in as ``role``, the sign-in six minutes old: long enough to be asked again."""
    client = app.test_client()
    client.set_cookie("lang", "en")
    user = make_user(role)
    assert sign_in(client, user).status_code == 303
    frozen_clock.set(frozen_clock.current + LATER)
    return client, user


def _confirm(client, location: str, password: str):
    """Answer the page ``location`` points to with ``password``."""
    page = client.get(location)
    assert page.status_code == 200
    form = lxml.html.fromstring(page.get_data(as_text=True)).xpath("//form[@method='post']")[-1]
    return client.post(
        form.get("action"), data={"csrf_token": csrf_token_from(page.get_data(as_text=True)), "password": password}
    )


def _ready_meeting():
    """A meeting whose final packet can be made: one closed consultation, nothing submitted."""
    now = datetime.now(UTC)
    consultation = make_consultation(
        status=ConsultationStatus.closed, opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=5)
    )
    return make_meeting(consultation)


def test_the_final_packet_asks_for_the_password_and_comes_back(app, frozen_clock):
    meeting = _ready_meeting()
    client, clerk = _signed_in(app, Role.secretariat, frozen_clock)
    url = f"/staff/meetings/{meeting.id}/packet.docx?final=1"

    asked = client.get(url)
    assert asked.status_code == 303
    location = asked.headers["Location"]
    assert urlsplit(location).path == "/auth/confirm-password"
    assert parse_qs(urlsplit(location).query)["next"] == [url]
    assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "packet.exported")).all()
    assert client.get(f"/staff/meetings/{meeting.id}/packet.docx").status_code == 200, "the draft needs no password"

    page = client.get(location)
    assert page.headers["Cache-Control"] == "no-store"
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    [field] = tree.xpath("//input[@type='password']")
    assert tree.xpath(f"//label[@for='{field.get('id')}']"), "the field has its label"
    assert field.get("autocomplete") == "current-password"

    wrong = _confirm(client, location, "not-the-password-at-all")
    assert wrong.status_code == 422
    html = wrong.get_data(as_text=True)
    assert "The password is wrong. Enter the password you sign in with." in html
    [field] = lxml.html.fromstring(html).xpath("//input[@type='password']")
    assert field.get("aria-invalid") == "true" and field.get("aria-describedby") == f"{field.get('id')}-error"
    assert len(_events("login.failed", clerk)) == 1
    assert client.get(url).status_code == 303, "a wrong password confirms nothing"

    right = _confirm(client, location, DEFAULT_PASSWORD)
    assert right.status_code == 303 and right.headers["Location"] == url
    assert len(_events("password.confirmed", clerk)) == 1
    packet = client.get(url)
    assert packet.status_code == 200 and packet.headers["Content-Disposition"].endswith('-final.docx"')

    frozen_clock.set(frozen_clock.current + LATER)
    assert client.get(url).status_code == 303, "five minutes later it asks again"


def test_the_audit_trail_export_asks_for_the_password(app, frozen_clock):
    client, admin = _signed_in(app, Role.administrator, frozen_clock)
    url = "/admin/audit.csv?action=password.confirmed"
    asked = client.get(url)
    assert asked.status_code == 303
    assert not _events("audit.exported", admin)
    assert _confirm(client, asked.headers["Location"], DEFAULT_PASSWORD).headers["Location"] == url
    exported = client.get(url)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    assert f"user:{admin.id}" in exported.get_data(as_text=True), "the confirmation is in the trail it exports"


def test_a_fresh_sign_in_counts_as_a_recent_password(app, frozen_clock):
    client = app.test_client()
    assert sign_in(client, make_user(Role.administrator)).status_code == 303
    frozen_clock.set(frozen_clock.current + timedelta(minutes=4))
    assert client.get("/admin/audit.csv").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_the_page_goes_back_only_to_a_page_of_this_site(app, frozen_clock, target):
    client, _admin = _signed_in(app, Role.administrator, frozen_clock)
    location = f"/auth/confirm-password?next={target}"
    assert _confirm(client, location, DEFAULT_PASSWORD).headers["Location"] == "/auth/account"


def test_wrong_passwords_here_count_against_the_accounts_sign_in_limit(app, frozen_clock, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR", 2)
    client, clerk = _signed_in(app, Role.administrator, frozen_clock)
    location = client.get("/admin/audit.csv").headers["Location"]
    for _attempt in range(2):
        assert _confirm(client, location, "not-the-password-at-all").status_code == 422
    assert _confirm(client, location, DEFAULT_PASSWORD).status_code == 429, "over the limit, even the right one waits"
    other = app.test_client()
    token = csrf_token_from(other.get("/auth/login").get_data(as_text=True))
    login = other.post("/auth/login", data={"csrf_token": token, "email": clerk.email, "password": DEFAULT_PASSWORD})
    assert login.status_code == 429, "the sign-in form shares the count"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/auth/confirm-password")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
