"""Fixtures: migrations to head once per session, one rolled-back transaction per test.

Factories flush and never commit; a commit inside a test releases a savepoint of the outer
transaction, which is rolled back when the test ends (SQLAlchemy's "join_transaction_mode").
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from comments import clock, create_app
from comments.extensions import db, limiter
from config import TestingConfig
from tests import dbutil, factories
from tests.s3_server import moto_server_fixture, s3_bucket_fixture

CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# An S3 server (moto's, on 127.0.0.1) started once per session on first use, and a fresh bucket on it for
# each test that takes ``s3_bucket`` (tests/s3_server.py).
moto_server = moto_server_fixture()
s3_bucket = s3_bucket_fixture()


UNIT_TESTS = Path(__file__).parent / "unit"


def pytest_report_header(config):
    header = f"database backend: {dbutil.backend()}"
    if dbutil.backend() == "postgresql":
        header += "; unit and database-independent tests run on the SQLite pass only (deselected here)"
    return header


def runs_on_the_sqlite_pass_only(item) -> bool:
    """Tests that touch no database (tests/unit) or nothing database-specific (marked database_independent:
    the browser, the naughty strings) prove nothing more on PostgreSQL than on SQLite."""
    return item.path.is_relative_to(UNIT_TESTS) or item.get_closest_marker("database_independent") is not None


def pytest_collection_modifyitems(config, items):
    """On the PostgreSQL pass, leave out what the SQLite pass proves alone; skip visibly when there is no
    server, or stop when one is required."""
    if dbutil.backend() != "postgresql":
        return
    deselected = [item for item in items if runs_on_the_sqlite_pass_only(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not runs_on_the_sqlite_pass_only(item)]
    reason = dbutil.postgres_unreachable_reason()
    if reason is None:
        return
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.exit(f"REQUIRE_POSTGRES=1 but {reason}", returncode=1)
    marker = pytest.mark.skip(reason=f"{reason} Start PostgreSQL or set TEST_DATABASE_URL to run these.")
    for item in items:
        item.add_marker(marker)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = dbutil.create_database(tmp_path_factory.mktemp("db"), "test")
    yield url
    dbutil.drop_database(url)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=Path(instance),
        ATTACHMENT_STORAGE=Path(instance) / "attachments",
        MAIL_PORT=1,  # nothing listens there; the SMTP tests set their own server's port
    )
    with application.app_context():
        upgrade()
        db.engine.dispose()
    factories.APP = application
    return application


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield


def _session_scope():
    """Each app context (a request, a CLI command) gets its own session, as in production; the test
    body and the factories share one."""
    context = _cv_app.get(None)
    return "test" if context is None or factories.IN_FACTORY.get() else id(context)


class _TestScopedSession(scoped_session):
    """Flask-SQLAlchemy removes the session when an app context ends; the test's own session must
    outlive the app contexts the test pushes (a CLI command, a factory), so it is closed at the end."""

    def remove(self):
        if _session_scope() != "test":
            super().remove()

    def close_all(self):
        for session in list(self.registry.registry.values()):
            session.close()
        self.registry.registry.clear()


@pytest.fixture(autouse=True)
def db_session(request, app):
    """Every test runs inside one transaction that is rolled back at the end.

    Sessions join that transaction through savepoints, so a view that commits releases a savepoint and
    a view that rolls back loses only its own work, never the data the test set up. No app context is
    held during the test, so ``g`` and the locale start fresh per request as they do in production.
    """
    if "no_db_session" in request.keywords:
        yield None
        return
    with app.app_context():
        connection = db.engine.connect()
    transaction = connection.begin()
    original = db.session
    # Plain SQLAlchemy sessions: Flask-SQLAlchemy's own Session.get_bind picks the engine and would
    # ignore the connection.
    session = _TestScopedSession(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False),
        scopefunc=_session_scope,
    )
    db.session = session
    try:
        yield session
    finally:
        session.close_all()
        db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def limiter_storage_of_the_suite():
    """Flask-Limiter keeps one storage for every app, the one the latest ``create_app`` chose: a test that
    builds another app (a production-like one on Redis, say) must not leave the suite's app counting there,
    where counters outlive the run and other runs share them."""
    before = limiter.storage if limiter.initialized else None
    yield
    if factories.APP is not None and before is not None and limiter.storage is not before:
        limiter.init_app(factories.APP)


@pytest.fixture
def blob_root(app):
    return Path(app.config["ATTACHMENT_STORAGE"])


class FrozenClock:
    """Moves the server's clock for a test; the client's clock never matters (R51)."""

    def __init__(self, start: datetime):
        self.current = start

    def set(self, instant: datetime) -> None:
        assert instant.tzinfo is not None
        self.current = instant.astimezone(UTC)


@pytest.fixture
def frozen_clock():
    frozen = FrozenClock(datetime.now(UTC))
    previous = clock.set_source(lambda: frozen.current)
    yield frozen
    clock.set_source(previous)


@pytest.fixture
def clock_source():
    """Set the server's clock to any function of no arguments for one test (``clock_source(fn)``)."""
    previous = clock.set_source(None)
    yield clock.set_source
    clock.set_source(previous)


def csrf_token_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)
