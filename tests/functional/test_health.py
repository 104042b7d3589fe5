"""/healthz says the process answers, without the database; /readyz says it can serve: the database answers,
its schema is at the migrations' head, and no worker job is behind its threshold (comments/health.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.engine import Engine

from comments import create_app
from comments.extensions import db, limiter
from config import TestingConfig
from tests import dbutil
from tests.factories import make_consultation
from tests.functional.helpers import post_comment


@pytest.fixture
def statements():
    """Every SQL statement any engine runs while the test runs."""
    seen: list[str] = []

    def note(_connection, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    yield seen
    event.remove(Engine, "before_cursor_execute", note)


def test_healthz_answers_ok_without_asking_the_database(client, statements):
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")
    assert response.headers["Cache-Control"] == "no-store"
    assert statements == []


def test_readyz_lists_its_checks_and_is_ready_when_all_pass(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["ready"] is True and body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations", "mail", "audit", "search"}
    assert body["checks"]["migrations"]["database"] == body["checks"]["migrations"]["head"]
    assert body["checks"]["search"] == {"ok": True, "waiting": 0, "oldest_age_seconds": 0, "threshold_seconds": 900}


def test_readyz_is_503_when_a_job_fell_behind_and_says_which(app, client, frozen_clock):
    consultation = make_consultation()
    name = "千葉 花子"
    assert post_comment(client, consultation, name=name, body="委託先の監督について").status_code == 303
    frozen_clock.set(frozen_clock.current + timedelta(seconds=app.config["LAG_SEARCH_SECONDS"] + 60))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["audit", "search"]  # no address given, so no receipt mail waits
    assert response.json["checks"]["search"]["waiting"] == 1
    assert response.json["checks"]["search"]["oldest_age_seconds"] == app.config["LAG_SEARCH_SECONDS"] + 60
    text = response.get_data(as_text=True)
    assert name not in text and "委託先" not in text and consultation.slug not in text


@pytest.mark.database_independent
@pytest.mark.no_db_session
def test_readyz_is_503_when_the_database_does_not_answer(tmp_path):
    unreachable = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite3'}",
        INSTANCE_PATH=tmp_path,
        ATTACHMENT_STORAGE=tmp_path / "files",
    )
    response = unreachable.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json == {"ready": False, "failing": ["database"], "checks": {"database": {"ok": False}}}
    assert unreachable.test_client().get("/healthz").status_code == 200


@pytest.mark.no_db_session
def test_readyz_is_503_until_the_last_migration_has_run(tmp_path):
    url = dbutil.create_database(tmp_path, "readiness")
    behind = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, INSTANCE_PATH=tmp_path, ATTACHMENT_STORAGE=tmp_path)
    try:
        with behind.app_context():
            config = behind.extensions["migrate"].migrate.get_config(behind.extensions["migrate"].directory)
            script = ScriptDirectory.from_config(config)
            [head] = script.get_heads()
            upgrade(revision=script.get_revision(head).down_revision)
        response = behind.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["failing"] == ["migrations"]
        assert response.json["checks"]["migrations"]["head"] == [head]
        assert response.json["checks"]["migrations"]["database"] != [head]
        with behind.app_context():
            upgrade()
        assert behind.test_client().get("/readyz").status_code == 200
    finally:
        with behind.app_context():
            db.engine.dispose()
        dbutil.drop_database(url)


@pytest.fixture
def application_limits_undone():
    """Flask-Limiter is one object for every app and keeps the first application-wide limit it is given: the
    suite's app has none, and must have none again after this test."""
    yield
    limiter.limit_manager.set_application_limits([])


@pytest.mark.database_independent
@pytest.mark.usefixtures("application_limits_undone")
def test_probes_answer_plain_http_and_are_never_rate_limited(database_url, tmp_path):
    """A load balancer probes gunicorn's port over plain HTTP, every few seconds, from one address."""
    strict = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=Path(tmp_path),
        ATTACHMENT_STORAGE=Path(tmp_path) / "files",
        FORCE_HTTPS=True,
        RATELIMIT_APPLICATION="3/minute",
    )
    client = strict.test_client()
    assert client.get("/").status_code == 302  # everything else goes to https first
    pages = [client.get("/", base_url="https://localhost").status_code for _ in range(3)]
    assert pages[-1] == 429  # the application's limit holds for the pages
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code in (200, 503)
        assert client.get("/metrics").status_code == 200


def test_a_probe_must_name_a_trusted_host(client):
    """TRUSTED_HOSTS applies to the probes too: a probe sends the service's Host (documented in health.py)."""
    assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200
