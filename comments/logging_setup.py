"""Where log lines go and how they look: one line per record, each with the request (or job) it belongs to.

``LOG_FORMAT=json`` (production's default) writes one JSON object per line through python-json-logger, for a
log collector: ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``request_id``, ``message`` and, when there
is one, ``exc_info`` (the traceback, as one escaped string). ``text`` (development's default) writes the
same fields as a plain line for a person at a terminal.

The formatting comes after the cleaning, never instead of it: comments/logs.py cleans every record when it
is made (numbers masked, line breaks escaped, a driver's quote of the row dropped from a traceback), and
the formatter only reads what the record then holds. It writes the fields above and nothing else: a
library's ``extra=`` values were never cleaned, so they are left out.

``request_id`` is the request's own (``g.request_id``, the one sent back as ``X-Request-Id``), else the
worker job's name or the gunicorn access line's request (``log_context``), else ``-``.

gunicorn's own lines (its error log and access log) go through the same filter and formatter when
gunicorn.conf.py sets ``logconfig_dict = gunicorn_logconfig()`` and ``logger_class = GunicornLogger``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, has_request_context
from flask.logging import default_handler
from gunicorn.glogging import Logger as _GunicornLogger
from pythonjsonlogger.json import JsonFormatter

from comments import logs

FIELDS = ("time", "level", "logger", "request_id", "message")
TEXT_FORMAT = "%(time)s %(level)s %(logger)s [%(request_id)s] %(message)s"
# Marks the handler configure_logging installs, so a second app (the tests build many) replaces it.
_OURS = "_comments_handler"
_context: ContextVar[str | None] = ContextVar("comments_log_context", default=None)


@contextmanager
def log_context(name: str) -> Iterator[None]:
    """Lines logged outside a request within this block carry ``name`` as their request id (a worker job)."""
    token = _context.set(name)
    try:
        yield
    finally:
        _context.reset(token)


def current_request_id() -> str:
    if has_request_context():
        request_id = g.get("request_id")
        if request_id:
            return request_id
    return _context.get() or "-"


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``logger``, ``level`` and ``time`` (ISO 8601, UTC) to every record a handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        record.logger = record.name
        record.level = record.levelname
        record.time = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        return True


class JsonLines(JsonFormatter):
    """python-json-logger's formatter, writing ``FIELDS`` (and a traceback) only: no uncleaned ``extra``.

    ASCII only (Japanese as \\u escapes): whatever a message holds, a record is exactly one line.
    """

    def add_fields(self, log_data, record, message_dict) -> None:
        for field in FIELDS:
            log_data[field] = record.__dict__.get(field)
        for key in ("exc_info", "stack_info"):
            if message_dict.get(key):
                log_data[key] = message_dict[key]


def json_formatter() -> logging.Formatter:
    return JsonLines(list(FIELDS))


def text_formatter() -> logging.Formatter:
    return logging.Formatter(TEXT_FORMAT)


class StandardErrorHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (gunicorn and the test runner replace it)."""

    def __init__(self, level: int = logging.NOTSET) -> None:
        logging.Handler.__init__(self, level)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr


def make_handler(log_format: str) -> logging.Handler:
    handler = StandardErrorHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(json_formatter() if log_format == "json" else text_formatter())
    return handler


def configure_logging(app: Flask) -> None:
    """One handler on the root logger, in ``LOG_FORMAT``, for every logger of the process (idempotent)."""
    logs.install()
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if getattr(handler, _OURS, False)]:
        root.removeHandler(handler)
    handler = make_handler(app.config["LOG_FORMAT"])
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    # Flask adds its own handler to the app's logger when it finds none; ours on the root is the one.
    logging.getLogger(app.import_name).removeHandler(default_handler)


def gunicorn_logconfig(log_format: str | None = None) -> dict:
    """gunicorn's ``logconfig_dict``: its error and access logs through the app's filter and formatter.

    The root logger is left without a handler here: each worker's ``create_app`` installs the app's, and a
    second one would write every line twice. ``log_format`` defaults to the environment's ``LOG_FORMAT``.
    The cleaning is installed here too: gunicorn's master process never runs ``create_app``.
    """
    logs.install()
    if log_format is None:
        from config import config_from_environment

        log_format = config_from_environment().LOG_FORMAT
    handler = {
        "class": f"{__name__}.StandardErrorHandler",
        "formatter": log_format,
        "filters": ["context"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": f"{__name__}.ContextFilter"}},
        "formatters": {"json": {"()": f"{__name__}.json_formatter"}, "text": {"()": f"{__name__}.text_formatter"}},
        "handlers": {"comments": handler},
        "root": {"level": "WARNING", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["comments"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["comments"], "propagate": False},
        },
    }


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger, giving its access line the request id the app sent back (``X-Request-Id``): the
    line is written after the request's context has ended, so the filter could not find it otherwise."""

    def access(self, resp, req, environ, request_time) -> None:
        headers = resp.headers.items() if hasattr(resp.headers, "items") else resp.headers
        request_id = next((value for name, value in headers if name.lower() == "x-request-id"), None)
        token = _context.set(request_id or None)
        try:
            super().access(resp, req, environ, request_time)
        finally:
            _context.reset(token)
