"""Prometheus metrics at /metrics: submissions received, request latency, and the worker's backlogs.

* ``comments_submissions_received_total{channel}``: submissions stored, counted when the transaction that
  wrote them commits (a rolled-back one never counts), whatever wrote them: the comment form, staff keying
  in paper, the committee's portal and e-mail intake.
* ``comments_request_duration_seconds{endpoint,method,status}``: by endpoint name (``public.submit_comment``;
  ``unmatched`` when no route matched), method and status class (``2xx``), never by path: paths carry
  slugs, receipt numbers and ids, one series each.
* ``comments_worker_backlog{job}``, ``comments_worker_backlog_oldest_age_seconds{job}`` and
  ``comments_worker_backlog_threshold_seconds{job}`` for mail, audit and search, with
  ``comments_outbox_failed_messages`` and ``comments_mail_quarantined_messages``: read from the database at
  each scrape (comments/domain/lags.py), so every worker process answers the same.

Under gunicorn every worker process counts apart. With ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory,
emptied before each start, that every worker can write), prometheus_client keeps each process's counts in a
file there and a scrape adds them up; gunicorn.conf.py's ``child_exit`` hook calls
``multiprocess.mark_process_dead`` for a worker that ended. Without it (the demo, the tests) the process's own
registry is served.

Only addresses in ``METRICS_ALLOWED_NETWORKS`` get the page; every other one gets the 404 of a page that
does not exist. A request that came through a proxy the app does not trust to name the client
(``X-Forwarded-For`` with ``PROXY_FIX_X_FOR=0``) gets the 404 too: its address is the proxy's own.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time

from flask import Flask, abort, current_app, g, make_response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from comments.domain.lags import measure_lags
from comments.extensions import db
from comments.health import first_line, no_store, probe_view
from comments.models import Channel, Submission

log = logging.getLogger(__name__)

SUBMISSIONS_RECEIVED = Counter(
    "comments_submissions_received",
    "Submissions stored, by channel, counted when their transaction commits.",
    ["channel"],
)
REQUEST_DURATION = Histogram(
    "comments_request_duration_seconds",
    "Time from the start of the request's handling to its response, by endpoint name, method and status class.",
    ["endpoint", "method", "status"],
)
for _channel in Channel:
    SUBMISSIONS_RECEIVED.labels(_channel.value)

# Any other method is one label: a client choosing methods must not make series.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_INSERTED = "comments.metrics.inserted_submissions"
_installed = False


def _note_inserted(session: Session, channel) -> None:
    """Note one submission row written in ``session``'s innermost transaction, with its channel."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_INSERTED, []).append((transaction, str(getattr(channel, "value", channel))))


def _within(transaction, ended) -> bool:
    """Whether ``transaction`` is ``ended`` or one of the transactions begun inside it."""
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def install_submission_counter() -> None:
    """Count each submission once its transaction commits (idempotent).

    A submission row is noted on its session when it is written, whichever way: through the ORM's unit of
    work (``after_insert``) or as one INSERT statement on the table (``do_orm_execute``, the intake's way).
    The notes are counted when the session's outermost transaction commits; a savepoint rolled back drops
    the notes made inside it, a transaction rolled back or closed drops them all.
    """
    global _installed
    if _installed:
        return
    _installed = True
    table = Submission.__table__

    @event.listens_for(Submission, "after_insert")
    def note_flushed(_mapper, _connection, submission):
        session = object_session(submission)
        if session is not None:
            _note_inserted(session, submission.channel)

    @event.listens_for(Session, "do_orm_execute")
    def note_statement(state):
        statement = state.statement
        if not (statement.is_insert and getattr(statement, "table", None) is table):
            return
        parameters = state.parameters
        rows = parameters if isinstance(parameters, list) else [parameters or {}]
        for row in rows:
            _note_inserted(state.session, row.get("channel", "unknown"))

    @event.listens_for(Session, "after_commit")
    def count_committed(session):
        if session.in_nested_transaction():  # a savepoint released: its rows may still be rolled back
            return
        for _transaction, channel in session.info.pop(_INSERTED, ()):
            SUBMISSIONS_RECEIVED.labels(channel).inc()

    @event.listens_for(Session, "after_soft_rollback")
    def forget_rolled_back(session, previous_transaction):
        if _INSERTED in session.info:
            notes = session.info[_INSERTED]
            session.info[_INSERTED] = [note for note in notes if not _within(note[0], previous_transaction)]

    @event.listens_for(Session, "after_transaction_end")
    def forget_uncommitted(session, transaction):
        if transaction.parent is None:
            session.info.pop(_INSERTED, None)


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        method = request.method if request.method in METHODS else "other"
        REQUEST_DURATION.labels(request.endpoint or "unmatched", method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started
        )
    return response


def init_app(app: Flask) -> None:
    """Count submissions, time every request, and add /metrics. Call before the other request hooks: a hook
    that answers early (the HTTPS redirect) stops the ones after it, and the request would go untimed."""
    install_submission_counter()
    app.before_request(_start_timer)
    app.after_request(_observe)

    def metrics():
        if not scraper_allowed():
            abort(404)
        response = make_response(generate_latest(scrape_registry()), 200)
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return no_store(response)

    app.add_url_rule("/metrics", "metrics", probe_view(metrics), methods=["GET"])


def scraper_allowed() -> bool:
    """Whether the request's client address is in ``METRICS_ALLOWED_NETWORKS`` (see the docstring)."""
    if request.headers.get("X-Forwarded-For") and not current_app.config.get("PROXY_FIX_X_FOR"):
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None) is not None:
        address = address.ipv4_mapped
    networks = (ipaddress.ip_network(network) for network in current_app.config["METRICS_ALLOWED_NETWORKS"])
    return any(address in network for network in networks)


class _ThisProcess:
    """The process's own registry, as one collector of a scrape's registry."""

    def collect(self):
        return REGISTRY.collect()


class BacklogCollector:
    """The worker's backlogs, read from the database when scraped (comments/domain/lags.py)."""

    def collect(self):
        readable = GaugeMetricFamily(
            "comments_backlogs_readable", "1 when the backlogs below could be read from the database, else 0."
        )
        try:
            lags = measure_lags()
        except Exception as error:
            db.session.rollback()
            log.warning("metrics: the backlogs could not be read: %s", first_line(error))
            readable.add_metric([], 0)
            yield readable
            return
        readable.add_metric([], 1)
        yield readable
        waiting = GaugeMetricFamily(
            "comments_worker_backlog", "Rows waiting for a worker job: mail, audit events, submissions.", labels=["job"]
        )
        age = GaugeMetricFamily(
            "comments_worker_backlog_oldest_age_seconds",
            "Seconds the oldest row waiting for the job has waited; 0 when none waits.",
            labels=["job"],
        )
        threshold = GaugeMetricFamily(
            "comments_worker_backlog_threshold_seconds",
            "The age past which /readyz reports the job as behind (LAG_*_SECONDS).",
            labels=["job"],
        )
        for backlog in lags.backlogs:
            waiting.add_metric([backlog.job], backlog.count)
            age.add_metric([backlog.job], backlog.age_seconds)
            if backlog.threshold_seconds is not None:
                threshold.add_metric([backlog.job], backlog.threshold_seconds)
        yield waiting
        yield age
        yield threshold
        yield GaugeMetricFamily(
            "comments_outbox_failed_messages",
            "Mail the worker gave up on after OUTBOX_MAX_ATTEMPTS; an operator looks at each.",
            value=lags.failed_mail,
        )
        yield GaugeMetricFamily(
            "comments_mail_quarantined_messages",
            "Committee e-mail waiting in the quarantine for the secretariat's decision.",
            value=lags.quarantined_mail,
        )


def scrape_registry() -> CollectorRegistry:
    """What one scrape serves: every process's counts (multiprocess mode) or this one's, and the backlogs."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(BacklogCollector())
    return registry
