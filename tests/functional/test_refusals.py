"""R43: access denials and refused forms are in the audit trail (who, from where, which route, which fields,
never what was typed), at most so many per person, so a flood cannot fill the trail; writing the event never
changes the answer."""

from __future__ import annotations

import itertools
import logging
import secrets
import sqlite3
from pathlib import Path

import pytest
from flask import template_rendered
from flask_migrate import upgrade
from sqlalchemy import create_engine, select

from comments import create_app
from comments.blueprints import refusals
from comments.domain.accounts import create_user, enable_totp, new_totp_secret
from comments.domain.audit import Actor
from comments.extensions import db
from comments.models import AuditEvent
from comments.permissions import Role
from config import ConfigError, TestingConfig
from tests import dbutil
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD, make_consultation, make_user
from tests.functional.auth_helpers import sign_in

# Documentation addresses (RFC 5737), one per test, so no test sees another's per-address count.
_addresses = (f"203.0.113.{number}" for number in itertools.count(1))


@pytest.fixture(autouse=True)
def no_refusals_counted_yet(app, monkeypatch):
    """Ids of users come back after each test's rollback, so what an earlier test counted for "user:3" would
    count for this test's user 3: each test here counts under a key prefix of its own (nothing is cleared,
    in case the limits are kept in a Redis others use)."""
    monkeypatch.setitem(app.config, "RATELIMIT_KEY_PREFIX", f"refusals-test-{secrets.token_hex(8)}")


def _events(actor: str, *actions: str) -> list[AuditEvent]:
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor == actor, AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
    ).all()


def _client(app, role=None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = next(_addresses)
    user = None
    if role is not None:
        user = make_user(role)
        assert sign_in(client, user).status_code == 303
    return client, user


def test_a_page_refused_for_want_of_a_permission_is_in_the_trail(app):
    client, member = _client(app, Role.member)
    response = client.get("/staff/")
    assert response.status_code == 403
    [event] = _events(f"user:{member.id}", "access.denied")
    assert (event.object_type, event.object_id) == ("endpoints", "staff.home")
    assert event.detail == {"method": "GET", "status": 403, "permission": "staff:submission:read"}
    assert event.ip == client.environ_base["REMOTE_ADDR"]
    assert event.request_id == response.headers["X-Request-Id"]


def test_an_object_hidden_as_not_found_is_a_denial_too(app):
    client, drafter = _client(app, Role.department_staff)
    elsewhere = make_consultation(department="他の課")
    assert client.get(f"/staff/consultations/{elsewhere.id}/progress").status_code == 404
    [event] = _events(f"user:{drafter.id}", "access.denied")
    assert event.object_id == "staff.show_progress"
    assert event.detail == {"method": "GET", "status": 404, "object_type": "consultations", "object_id": elsewhere.id}
    assert client.get("/staff/consultations/999999/progress").status_code == 404
    assert len(_events(f"user:{drafter.id}", "access.denied")) == 1, "a plain 'not found' is no denial"


def test_a_refused_form_names_its_fields_and_never_what_was_typed(app):
    client, clerk = _client(app, Role.secretariat)
    token = csrf_token_from(client.get("/staff/meetings").get_data(as_text=True))
    response = client.post("/staff/meetings", data={"csrf_token": token, "title": "秘密の会議名", "held_on": "x"})
    assert response.status_code == 422
    [event] = _events(f"user:{clerk.id}", "validation.failed")
    assert event.object_id == "staff.create_meeting"
    assert event.detail == {"method": "POST", "status": 422, "fields": ["consultations", "held_on"]}


def test_a_refused_form_of_one_button_is_in_the_trail(app):
    client, admin = _client(app, Role.administrator)
    token = csrf_token_from(client.get("/admin/audit").get_data(as_text=True))
    response = client.post("/admin/audit/review", data={"csrf_token": token, "note": "確認"})
    assert response.status_code == 303
    [event] = _events(f"user:{admin.id}", "validation.failed")
    assert event.object_id == "admin.mark_audit_reviewed"
    assert event.detail == {"method": "POST", "status": 303, "fields": ["end", "start"]}


def test_an_anonymous_refusal_is_counted_by_address(app):
    client, _nobody = _client(app)
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"csrf_token": token, "email": "someone@example.jp"})
    assert response.status_code == 422
    [event] = [e for e in _events("anonymous", "validation.failed") if e.ip == client.environ_base["REMOTE_ADDR"]]
    assert event.detail["fields"] == ["password"]
    assert "someone@example.jp" not in str(event.detail)


def test_a_flood_of_refusals_writes_a_few_events_and_one_that_says_so(app, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "REFUSALS_AUDITED_PER_ACTOR", "3/day")
    client, member = _client(app, Role.member)
    with caplog.at_level(logging.WARNING, logger="comments.throttles"):
        answers = [client.get("/staff/").status_code for _request in range(8)]
    assert answers == [403] * 8, "the answer never changes"
    events = _events(f"user:{member.id}", "access.denied", "audit.refusals_suppressed")
    assert [event.action for event in events] == ["access.denied"] * 3 + ["audit.refusals_suppressed"]
    assert events[-1].detail == {"limit": "3 per 1 day"}
    warnings = [record for record in caplog.records if "refusals audited" in record.getMessage()]
    assert len(warnings) == 1 and client.environ_base["REMOTE_ADDR"] not in warnings[0].getMessage()


def test_a_refusal_that_cannot_be_recorded_is_still_answered(app, monkeypatch, caplog):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the trail is unreachable")

    monkeypatch.setattr(refusals, "record_event", broken)
    client, _member = _client(app, Role.member)
    with caplog.at_level(logging.WARNING, logger="comments.refusals"):
        assert client.get("/staff/").status_code == 403
    assert any("refusal not recorded (RuntimeError)" in record.getMessage() for record in caplog.records)


def test_a_limit_that_cannot_be_read_stops_the_start(tmp_path):
    with pytest.raises(ConfigError, match="REFUSALS_AUDITED_PER_ACTOR"):
        create_app(TestingConfig, INSTANCE_PATH=Path(tmp_path), REFUSALS_AUDITED_PER_ACTOR="thirty")


@pytest.mark.no_db_session
@pytest.mark.skipif(dbutil.backend() != "sqlite", reason="SQLite's read transactions are what this is about")
def test_a_denial_is_recorded_even_when_another_writer_committed_during_the_request(tmp_path):
    """On SQLite a GET reads in a deferred transaction; had another request committed since its first read,
    turning that transaction into a write would fail at once ("database is locked"). The event is written
    in a transaction of its own, so it is recorded all the same."""
    path = tmp_path / "refusals.sqlite3"
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}",
        INSTANCE_PATH=Path(tmp_path),
        ATTACHMENT_STORAGE=Path(tmp_path) / "attachments",
        RATELIMIT_KEY_PREFIX=f"refusals-test-{secrets.token_hex(8)}",
    )
    with app.app_context():
        upgrade()
        member = create_user(
            email="member@example.jp",
            display_name="委員",
            password=DEFAULT_PASSWORD,
            roles={Role.member},
            actor=Actor("test"),
        )
        if member.needs_second_factor:
            enable_totp(member, new_totp_secret(), Actor("test"))
        db.session.commit()
        member_id = member.id
    client = app.test_client()
    assert sign_in(client, member).status_code == 303

    def another_writer_commits(_sender, template, **_extra):
        if template.name == "errors/error.html":
            with sqlite3.connect(path) as other:
                other.execute(
                    "INSERT INTO audit_events (occurred_at, actor, action, object_type, detail) "
                    "VALUES ('2026-01-01 00:00:00.000000', 'test', 'test.meanwhile', 'test', '{}')"
                )

    with template_rendered.connected_to(another_writer_commits, app):
        assert client.get("/staff/").status_code == 403
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        actions = (
            connection.execute(select(AuditEvent.action).where(AuditEvent.actor == f"user:{member_id}")).scalars().all()
        )
    engine.dispose()
    with app.app_context():
        db.engine.dispose()
    assert "access.denied" in actions
