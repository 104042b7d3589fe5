"""/metrics: submissions counted by channel once stored, requests timed by endpoint (never by path), the
worker's backlogs read at each scrape; and only for the addresses allowed (comments/metrics.py)."""

from __future__ import annotations

import os
import textwrap

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from comments.domain import intake
from comments.extensions import db
from comments.models import Channel
from tests.factories import make_consultation, make_submission
from tests.functional.helpers import post_comment
from tests.python_process import ROOT as PROJECT
from tests.python_process import run_python


def scrape(client) -> dict[tuple[str, tuple], float]:
    """Every sample of one scrape, by name and labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["Cache-Control"] == "no-store"
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


SUBMITTED = ("comments_submissions_received_total", (("channel", "web"),))
SUBMIT_TIMED = (
    "comments_request_duration_seconds_count",
    (("endpoint", "public.submit_comment"), ("method", "POST"), ("status", "3xx")),
)


def test_a_submission_moves_the_counter_and_the_latency_histogram(client):
    consultation = make_consultation()
    before = scrape(client)
    assert post_comment(client, consultation).status_code == 303
    after = scrape(client)
    assert after[SUBMITTED] == before[SUBMITTED] + 1
    assert after[SUBMIT_TIMED] == before.get(SUBMIT_TIMED, 0) + 1
    # The form's GET before the POST, by its endpoint's name: a path (with the consultation's slug) is no label.
    form_shown = (
        "comments_request_duration_seconds_count",
        (("endpoint", "public.submit_comment"), ("method", "GET"), ("status", "2xx")),
    )
    assert after[form_shown] >= 1
    assert not any(consultation.slug in str(labels) for _name, labels in after)
    # The submission waits for the worker: one more submission to index.
    backlog = ("comments_worker_backlog", (("job", "search"),))
    assert after[backlog] == before[backlog] + 1


def test_a_submission_that_was_not_stored_is_not_counted(client, monkeypatch):
    consultation = make_consultation()
    before = scrape(client)

    def trail_unreachable(*_args, **_kwargs):
        raise RuntimeError("the audit trail is unreachable")

    # The submission's row is inserted, then its audit event fails: the transaction is rolled back (a 500 page).
    monkeypatch.setattr(intake, "record_event", trail_unreachable)
    assert post_comment(client, consultation).status_code == 500
    after = scrape(client)
    assert after[SUBMITTED] == before[SUBMITTED]


def test_only_what_the_outermost_transaction_commits_is_counted(app):
    consultation = make_consultation()

    def faxes() -> float:
        return REGISTRY.get_sample_value("comments_submissions_received_total", {"channel": "fax"})

    def stored_then_rolled_back():
        with db.session.begin_nested():
            make_submission(consultation, channel=Channel.fax)
            raise RuntimeError("the savepoint is rolled back")

    before = faxes()
    with pytest.raises(RuntimeError):
        stored_then_rolled_back()
    make_submission(consultation, channel=Channel.fax)
    with db.session.begin_nested():
        make_submission(consultation, channel=Channel.fax)
    assert faxes() == before  # a savepoint released is not a commit
    db.session.commit()
    assert faxes() == before + 2


def test_an_unknown_method_is_one_label(client):
    client.open("/", method="BREW")
    labels = {dict(labels).get("method") for name, labels in scrape(client)}
    assert "BREW" not in labels
    assert "other" in labels


@pytest.mark.parametrize(
    ("address", "headers", "allowed"),
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("203.0.113.9", {}, False),
        ("10.1.2.3", {}, False),
        # Through a proxy the app does not trust to name the client, the address is the proxy's own.
        ("127.0.0.1", {"X-Forwarded-For": "198.51.100.7"}, False),
    ],
)
def test_only_the_allowed_networks_get_the_metrics(client, address, headers, allowed):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address}, headers=headers)
    assert response.status_code == (200 if allowed else 404)
    assert ("comments_submissions_received" in response.get_data(as_text=True)) is allowed


def test_the_allowed_networks_are_a_setting(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_ALLOWED_NETWORKS", ["10.0.0.0/8"])
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 404


SERVE_REQUESTS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from comments import create_app
    from config import TestingConfig

    folder = Path(sys.argv[1])
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=folder, ATTACHMENT_STORAGE=folder)
    client = app.test_client()
    for _ in range(int(sys.argv[2])):
        assert client.get("/healthz").status_code == 200
    if sys.argv[3] == "scrape":
        sys.stdout.write(client.get("/metrics").get_data(as_text=True))
    """
)


@pytest.mark.database_independent
@pytest.mark.no_db_session
def test_with_a_multiprocess_directory_every_process_counts_in_one_scrape(tmp_path):
    """gunicorn's workers are processes: with PROMETHEUS_MULTIPROC_DIR their counts add up in any one scrape."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared), "PYTHONPATH": str(PROJECT)}

    def run(count: int, then: str) -> str:
        return run_python(SERVE_REQUESTS, str(tmp_path), str(count), then, env=env).stdout

    run(2, "exit")
    run(3, "exit")
    scraped = run(1, "scrape")
    healthz = [
        sample.value
        for family in text_string_to_metric_families(scraped)
        for sample in family.samples
        if sample.name == "comments_request_duration_seconds_count" and sample.labels.get("endpoint") == "healthz"
    ]
    assert healthz == [6.0]
