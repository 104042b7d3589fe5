"""LOG_FORMAT=json: one JSON object per line, each with the request id the response carried, after the same
cleaning as every other record (comments/logging_setup.py on top of comments/logs.py)."""

from __future__ import annotations

import json
import logging
import textwrap
from datetime import datetime

import pytest
from flask import current_app, request

from comments import create_app, logging_setup
from comments.worker import Job, run_job
from config import TestingConfig
from tests import factories
from tests.python_process import run_python

NUMBER = "6214 9832 0257"  # a valid individual number


@pytest.fixture
def json_app(database_url, tmp_path):
    """An app logging JSON, with one extra page that logs what it is sent; the suite's own logging comes back
    afterwards (the handler is the process's, on the root logger)."""
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=tmp_path,
        ATTACHMENT_STORAGE=tmp_path / "files",
        LOG_FORMAT="json",
    )

    @app.get("/test-log")
    def log_what_was_sent():
        current_app.logger.warning("searched for %s", request.args["q"], extra={"email": "hanako@example.jp"})
        try:
            raise RuntimeError("insert failed\nDETAIL:  Failing row contains (1, 山田花子, 621498320257).")
        except RuntimeError:
            logging.getLogger("comments.test").exception("the insert failed")
        return "logged"

    yield app
    logging_setup.configure_logging(factories.APP)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_each_line_is_one_cleaned_json_object_with_the_responses_request_id(json_app, capsys):
    capsys.readouterr()
    response = json_app.test_client().get("/test-log", query_string={"q": f"{NUMBER}\nFORGED 200 OK"})
    assert response.status_code == 200
    err = capsys.readouterr().err
    lines = json_lines(err)
    searched = next(line for line in lines if line["message"].startswith("searched for"))
    failed = next(line for line in lines if line["message"] == "the insert failed")

    assert searched["message"] == "searched for [個人番号削除]\\nFORGED 200 OK"
    assert searched["request_id"] == failed["request_id"] == response.headers["X-Request-Id"]
    assert searched["level"] == "WARNING" and searched["logger"] == "comments"
    assert datetime.fromisoformat(searched["time"]).utcoffset().total_seconds() == 0
    assert set(searched) == {"time", "level", "logger", "request_id", "message"}  # no uncleaned extra=
    assert "hanako@example.jp" not in err
    # The traceback is in the line, cleaned: no number, no row the driver quoted.
    assert "RuntimeError: insert failed" in failed["exc_info"]
    assert "山田花子" not in err and "621498320257" not in err and NUMBER not in err
    # One record, one line: the line break typed did not start a line of its own.
    [forged] = [line for line in err.splitlines() if "FORGED" in line]
    assert json.loads(forged) == searched


def test_a_worker_jobs_lines_carry_its_name(json_app, capsys):
    def noisy(_budget: int) -> int:
        logging.getLogger("comments.worker").info("indexed %s", "3 submissions")
        return 3

    capsys.readouterr()
    with json_app.app_context():
        assert run_job(Job("search", noisy, budget=10)).done == 3
    [line] = [line for line in json_lines(capsys.readouterr().err) if line["message"] == "indexed 3 submissions"]
    assert line["request_id"] == "worker:search"


def test_text_is_the_development_format_with_the_request_id(app):
    assert app.config["LOG_FORMAT"] == "text"
    record = logging.LogRecord("comments.x", logging.INFO, __file__, 1, "hello %s", ("there",), None)
    handler = logging_setup.make_handler("text")
    assert handler.filter(record)
    assert handler.format(record).endswith(" INFO comments.x [-] hello there")


GUNICORN_LINES = textwrap.dedent(
    """
    from datetime import timedelta
    from types import SimpleNamespace
    from gunicorn.config import Config
    from comments.logging_setup import GunicornLogger, gunicorn_logconfig

    config = Config()
    config.set("logconfig_dict", gunicorn_logconfig("json"))
    logger = GunicornLogger(config)
    logger.info("Booting worker with pid: %s", 1234)
    response = SimpleNamespace(status="200 OK", headers=[("X-Request-Id", "abc123"), ("Content-Type", "text/plain")], sent=3)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/healthz", "PATH_INFO": "/healthz", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=5))
    """
)


@pytest.mark.database_independent
@pytest.mark.no_db_session
def test_gunicorns_own_lines_go_through_the_same_formatting():
    """What gunicorn.conf.py sets (``logconfig_dict``, ``logger_class``), in a process of its own."""
    done = run_python(GUNICORN_LINES)
    booted, access = json_lines(done.stderr)
    assert (booted["logger"], booted["request_id"], booted["message"]) == (
        "gunicorn.error",
        "-",
        "Booting worker with pid: 1234",
    )
    assert (access["logger"], access["request_id"]) == ("gunicorn.access", "abc123")
    assert "GET /healthz" in access["message"]
    assert done.stdout == ""
