"""A real error in a real request, reported through the real SDK (in a process of its own, whose transport
keeps what would be sent): the error is there, the comment, the cookie, the query and the number are not."""

from __future__ import annotations

import json
import textwrap

import pytest
import sentry_sdk

from tests.python_process import run_python

REPORT_AN_ERROR = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import sentry_sdk
    from sentry_sdk.transport import Transport

    sent = []

    class Keep(Transport):
        def capture_envelope(self, envelope):
            sent.extend(item.payload.json for item in envelope.items if item.type == "event")

    real_init = sentry_sdk.init
    sentry_sdk.init = lambda **options: real_init(transport=Keep, **options)

    from comments import create_app
    from config import TestingConfig

    folder = Path(sys.argv[1])
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", INSTANCE_PATH=folder,
                     ATTACHMENT_STORAGE=folder, SENTRY_DSN="https://key@sentry.invalid/1", WTF_CSRF_ENABLED=False)

    @app.post("/test-error")
    def fail():
        raise RuntimeError("insert failed\\nDETAIL:  Failing row contains (1, 山田花子, 621498320257).")

    client = app.test_client()
    client.set_cookie("session", "secret-session-id")
    response = client.post("/test-error?q=6214983202 57", data={"body": "委託先の監督について。山田花子"},
                           headers={"X-Request-Id": "req-1"})
    assert response.status_code == 500
    sentry_sdk.flush()
    print(json.dumps(sent, ensure_ascii=False))
    """
)


@pytest.mark.database_independent
@pytest.mark.no_db_session
def test_an_unexpected_error_is_reported_without_what_the_request_carried(tmp_path):
    done = run_python(REPORT_AN_ERROR, str(tmp_path))
    events = json.loads(done.stdout.strip().splitlines()[-1])
    [event] = [event for event in events if event.get("exception")]
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError" and exception["value"].startswith("insert failed")
    sent = json.dumps(events, ensure_ascii=False)
    for kept_out in ("委託先", "山田花子", "621498320257", "6214983202", "secret-session-id", "q="):
        assert kept_out not in sent, kept_out
    assert event["request"]["method"] == "POST" and event["request"]["url"].endswith("/test-error")
    assert not any("vars" in frame for frame in exception["stacktrace"]["frames"])


def test_without_a_dsn_the_suite_reports_nothing(app):
    assert app.config["SENTRY_DSN"] is None
    assert not sentry_sdk.get_client().is_active()
