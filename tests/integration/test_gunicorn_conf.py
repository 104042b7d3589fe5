"""gunicorn.conf.py as production runs it: `gunicorn wsgi:app` from the project folder (issue 13, item 6).

The access log's rules are checked behind nginx too (test_nginx_proxy.py); here gunicorn stands alone.
"""

from __future__ import annotations

import http.client
import os
import re
import runpy
import signal

import pytest

from config import Config
from tests.web_server import ROOT, gunicorn, service_environment, wait_for

pytestmark = [pytest.mark.no_db_session, pytest.mark.database_independent]


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_settings_production_starts_with(monkeypatch):
    for name in ("WEB_CONCURRENCY", "GUNICORN_BIND", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORT", "5000")  # gunicorn's own default would be 0.0.0.0:5000
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    # A request's files are read within FILE_READ_WALL_SECONDS, so that their refusal is a page, not a killed worker.
    assert settings["timeout"] > Config.FILE_READ_WALL_SECONDS
    assert settings["control_socket_disable"] is True

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:8001, unix:/run/comments/web.sock")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["workers"] == 3
    assert settings["bind"] == ["127.0.0.1:8001", "unix:/run/comments/web.sock"]


def test_two_instances_on_one_host_start_and_neither_opens_a_control_socket(tmp_path):
    """gunicorn 27 would open ~/.gunicorn/gunicorn.ctl for each, the second taking the first's."""
    env = service_environment(tmp_path, WEB_CONCURRENCY=1)
    with (
        gunicorn(env, log=tmp_path / "first.log") as first,
        gunicorn(env, log=tmp_path / "second.log") as second,
    ):
        assert first.port != second.port
        assert _get(first.port, "/").status and _get(second.port, "/").status
        assert first.process.poll() is None and second.process.poll() is None
    assert not (tmp_path / "home" / ".gunicorn").exists()
    assert "control" not in first.output().lower() + second.output().lower()


def test_gunicorn_itself_reads_no_forwarded_scheme_header(tmp_path):
    """Only the app's ProxyFix reads X-Forwarded-Proto, with the hops PROXY_FIX_X_PROTO names (none here).
    gunicorn's own default would take X-Forwarded-Ssl from 127.0.0.1 as https (the app would then send HSTS for a
    plain request), and answer 400 itself to headers that disagree."""
    env = service_environment(tmp_path, WEB_CONCURRENCY=1, FORCE_HTTPS=1, TRUSTED_HOSTS="127.0.0.1")
    with gunicorn(env, log=tmp_path / "gunicorn.log") as server:
        ssl_on = _get(server.port, "/static/style.css", {"X-Forwarded-Ssl": "on"})
        mixed = _get(server.port, "/static/style.css", {"X-Forwarded-Proto": "http", "X-Forwarded-Ssl": "on"})
    assert ssl_on.status == 302, "plain http: redirected to https"
    assert ssl_on.getheader("Strict-Transport-Security") is None
    assert mixed.status == 302


def test_a_worker_that_ends_leaves_the_live_gauges_and_a_start_begins_empty(tmp_path):
    """prometheus_client's multiprocess files: gunicorn.conf.py empties the folder when gunicorn starts, and
    child_exit marks a worker that ended as dead (its live gauges go; its counters stay, still counted)."""
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    stale = metrics / "counter_999999.db"
    stale.write_bytes(b"from a previous run")
    env = service_environment(tmp_path, WEB_CONCURRENCY=1, PROMETHEUS_MULTIPROC_DIR=metrics)
    with gunicorn(env, log=tmp_path / "gunicorn.log") as server:
        assert not stale.exists()
        wait_for(lambda: len(server.worker_pids()) == 1, "the worker to start")
        [worker] = server.worker_pids()
        live, counter = metrics / f"gauge_livesum_{worker}.db", metrics / f"counter_{worker}.db"
        live.write_bytes(b"")
        if not counter.exists():
            counter.write_bytes(b"")
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: not live.exists(), "child_exit to remove the ended worker's live gauge")
        assert counter.exists()
        wait_for(lambda: len(server.worker_pids()) == 1 and server.worker_pids() != [worker], "a new worker")
        assert _get(server.port, "/").status


def test_the_access_log_keeps_no_query_string_and_no_reset_token(tmp_path):
    """The access lines go with gunicorn's other lines to standard error (the journal), through the app's format."""
    env = service_environment(tmp_path, WEB_CONCURRENCY=1, TRUSTED_HOSTS="127.0.0.1")
    with gunicorn(env, log=tmp_path / "gunicorn.log") as server:
        _get(
            server.port,
            "/auth/password-reset/SECRET-TOKEN?next=/staff/SECRET",
            {"Referer": "http://127.0.0.1/staff/inbox?q=SECRET-SEARCH"},
        )
        _get(server.port, "/consultations?page=2&q=SECRET")
        wait_for(lambda: '"GET /consultations ' in server.output(), "both lines in the access log")
    written = server.output()
    access = [line for line in written.splitlines() if " gunicorn.access " in line and "/healthz" not in line]
    [reset, listed] = access
    assert "SECRET" not in written
    assert '"GET /auth/password-reset/[token] HTTP/1.1" 302' in reset
    assert '"http://127.0.0.1/staff/inbox"' in reset
    assert '"GET /consultations HTTP/1.1"' in listed
    assert re.search(r"\[[0-9a-f]{16}\] 127\.0\.0\.1 - ", listed), "the app's request id, then the client"
