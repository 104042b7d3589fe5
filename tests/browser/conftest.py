"""Browser tests: the demo app served on 127.0.0.1 and driven by Debian's headless Chromium.

One live server and one Chromium per session; every test gets a fresh browser context (its own
cookies, so its own session and language). Chromium is never downloaded: without it the tests are
skipped with a reason, or stop the run when ``REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from comments import create_app
from comments.demo.seed import DEMO_SLUG, seed_demo
from comments.domain.audit import Actor
from comments.extensions import db
from comments.storage import blob_store
from config import TestingConfig
from tests import dbutil
from tests.browser.results import RECORDER, WRITE_VARIABLE, writing_requested

SYSTEM_CHROMIUM = "/usr/bin/chromium"
# The machine's network is closed: without these Chromium stalls on refused background connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = "Chromium not found; install Debian's chromium to run browser tests"
TIMEOUT_MS = 15_000

# Every test of this folder runs against the live server, outside the rolled-back transaction.
BROWSER_MARKS = [pytest.mark.browser, pytest.mark.no_db_session, pytest.mark.database_independent]


def chromium_path() -> str | None:
    """The system Chromium, or None when this machine has none."""
    for candidate in (SYSTEM_CHROMIUM, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER") == "1"


def pytest_configure(config):
    """The results file is written by one process that saw every page: xdist workers each see a part."""
    if writing_requested() and hasattr(config, "workerinput"):
        raise pytest.UsageError(f"{WRITE_VARIABLE}=1 needs the browser tests in one process: run with -n 0")


def pytest_sessionfinish(session, exitstatus):
    """With ACCESSIBILITY_RESULTS_WRITE=1, a run that passed rewrites the committed results file."""
    if writing_requested() and exitstatus == 0 and RECORDER.pages:
        RECORDER.write()


def pytest_collection_modifyitems(config, items):
    """Without Chromium, skip the browser tests visibly, or stop the run when REQUIRE_BROWSER=1."""
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not browser_items or chromium_path() is not None:
        return
    if browser_required():
        pytest.exit(f"REQUIRE_BROWSER=1 but {MISSING_CHROMIUM} (looked at {SYSTEM_CHROMIUM} and PATH)", returncode=1)
    marker = pytest.mark.skip(reason=MISSING_CHROMIUM)
    for item in browser_items:
        item.add_marker(marker)


@dataclass(frozen=True)
class LiveServer:
    app: Flask
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@contextlib.contextmanager
def serve_live(tmp_dir: Path, name: str, seed: Callable[[Flask], None]) -> Iterator[LiveServer]:
    """The app on its own database, migrated and seeded by ``seed(app)`` (inside an app context, then
    committed), served on a free local port until the block ends."""
    database_url = dbutil.create_database(tmp_dir, name)
    try:
        app = create_app(
            TestingConfig,
            SQLALCHEMY_DATABASE_URI=database_url,
            INSTANCE_PATH=tmp_dir / "instance",
            ATTACHMENT_STORAGE=Path(tmp_dir) / "instance" / "attachments",
            MAIL_PORT=1,  # receipt mails only go to the outbox here; nothing may reach a real server
        )
        RECORDER.url_map = app.url_map  # pages are recorded by the route that answered them
        with app.app_context():
            upgrade()
            seed(app)
            db.session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        try:
            yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                db.engine.dispose()
    finally:
        dbutil.drop_database(database_url)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on its own database, migrated and seeded with the open demo consultation."""
    with serve_live(
        tmp_path_factory.mktemp("live"), "browser", lambda app: seed_demo(blob_store(app), Actor("test"))
    ) as server:
        yield server


@pytest.fixture(scope="session")
def demo_slug() -> str:
    return DEMO_SLUG


@pytest.fixture(scope="session")
def browser():
    """One headless system Chromium for the whole session."""
    executable = chromium_path()
    if executable is None:
        if browser_required():
            pytest.fail(f"REQUIRE_BROWSER=1 but {MISSING_CHROMIUM}")
        pytest.skip(MISSING_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open pages in fresh contexts: ``new_page()`` in Japanese (the default), ``new_page("en")`` in English.

    Every page records what the Content Security Policy refused, in ``page.csp_violations``: the
    templates must need no inline script or style.
    """
    contexts = []

    def open_page(language: str | None = None):
        context = browser.new_context(base_url=live_server.url, locale="ja-JP")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        if language is not None:
            context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
        page = context.new_page()
        page.csp_violations = []
        page.on(
            "console",
            lambda message: (
                page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A fresh page in the default language (Japanese)."""
    return new_page()
