"""Probes for the load balancer and the orchestrator: /healthz (the process answers) and /readyz (it can serve).

* ``/healthz`` answers ``ok`` without touching the database: a process that answers is alive, and a
  database outage must not get every web process restarted for nothing.
* ``/readyz`` answers 200 when the database answers (``SELECT 1``), its schema is at the migrations' head
  (alembic's revision in the database equals the script directory's heads) and no worker job is behind its
  threshold (comments/domain/lags.py); otherwise 503, naming the checks that failed. JSON, counts and
  revision ids only: nothing about a person.

A probe comes over plain HTTP to gunicorn's own port from inside, so both answer without the HTTPS
redirect (``FORCE_HTTPS``), are never rate limited and have no form to protect. The Host it sends must
still be one of ``TRUSTED_HOSTS`` (any other Host gets 400, as for everyone): name the service's host in
the probe, or add the internal name the probe uses to ``TRUSTED_HOSTS``. Neither page is kept
(``Cache-Control: no-store``).
"""

from __future__ import annotations

import functools
import logging

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, jsonify, make_response
from sqlalchemy import text

from comments.domain.lags import measure_lags
from comments.extensions import csrf, db, limiter

log = logging.getLogger(__name__)


def probe_view(view):
    """Exempt ``view`` from the rate limits, the CSRF check and the HTTPS redirect (see the docstring)."""
    view.talisman_view_options = {"force_https": False}
    return limiter.exempt(csrf.exempt(view))


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Add /healthz and /readyz. Each app gets its own view functions: Talisman keeps its per-view options
    on the function, and a shared one would carry the first app's settings to the next."""

    def healthz():
        response = make_response("ok\n", 200)
        response.mimetype = "text/plain"
        return no_store(response)

    def readyz():
        checks, failing = readiness()
        response = jsonify(ready=not failing, failing=failing, checks=checks)
        response.status_code = 503 if failing else 200
        return no_store(response)

    app.add_url_rule("/healthz", "healthz", probe_view(healthz), methods=["GET"])
    app.add_url_rule("/readyz", "readyz", probe_view(readyz), methods=["GET"])


def first_line(error: BaseException) -> str:
    """An error's kind and first line ("OperationalError: connection failed: ... refused"): a probe every few
    seconds would otherwise write a whole traceback each time, and the line after may quote a statement."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


@functools.cache
def script_heads(directory: str) -> frozenset[str]:
    """The migrations' head revisions; read once per process, as the files do not change under it."""
    config = current_app.extensions["migrate"].migrate.get_config(directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def readiness() -> tuple[dict, list[str]]:
    """Every check's outcome, and the names of those that failed."""
    checks: dict[str, dict] = {}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:
        db.session.rollback()
        log.warning("readiness: the database does not answer: %s", first_line(error))
        return {"database": {"ok": False}}, ["database"]
    checks["database"] = {"ok": True}

    current = frozenset(MigrationContext.configure(db.session.connection()).get_current_heads())
    heads = script_heads(current_app.extensions["migrate"].directory)
    checks["migrations"] = {"ok": current == heads, "database": sorted(current), "head": sorted(heads)}
    if current != heads:
        # The tables the backlogs are read from may not be there yet.
        return checks, ["migrations"]

    try:
        lags = measure_lags()
    except Exception as error:
        db.session.rollback()
        log.warning("readiness: the backlogs could not be read: %s", first_line(error))
        checks["backlogs"] = {"ok": False}
        return checks, ["backlogs"]
    for backlog in lags.backlogs:
        checks[backlog.job] = {
            "ok": not backlog.over_threshold,
            "waiting": backlog.count,
            "oldest_age_seconds": round(backlog.age_seconds),
            "threshold_seconds": backlog.threshold_seconds,
        }
    return checks, [name for name, check in checks.items() if not check["ok"]]
