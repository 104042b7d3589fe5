"""Error reports to Sentry: off without a DSN; with one, nothing personal leaves (comments/error_reporting.py)."""

from __future__ import annotations

import json

import sentry_sdk

from comments import error_reporting

NUMBER = "6214 9832 0257"  # a valid individual number
COMMENT = "委託先の監督について意見します。山田花子"


def crafted_event() -> dict:
    """An event as the Flask integration and the SDK build it for a failed comment POST."""
    return {
        "message": f"failed for {NUMBER}",
        "logentry": {"message": f"unhandled error for {NUMBER}", "params": [COMMENT]},
        "request": {
            "method": "POST",
            "url": f"https://comments.city.example/consultations/x/comment?q={NUMBER}",
            "query_string": f"q={NUMBER}",
            "data": {"body": COMMENT, "name": "山田花子", "csrf_token": "t"},
            "cookies": {"__Host-session": "secret-session-id"},
            "headers": {
                "Cookie": "__Host-session=secret-session-id",
                "User-Agent": "Mozilla/5.0",
                "X-Forwarded-For": "198.51.100.7",
                "Referer": f"https://comments.city.example/search?q={NUMBER}",
            },
            "env": {"REMOTE_ADDR": "198.51.100.7"},
        },
        "user": {"id": "7", "email": "hanako@example.jp", "ip_address": "198.51.100.7"},
        "extra": {"sys.argv": ["flask", "mail", "ingest", "--recipient", "hanako@example.jp"]},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"null value in column\nDETAIL:  Failing row contains (1, {COMMENT}, 621498320257).",
                    "stacktrace": {"frames": [{"function": "accept_submission", "vars": {"body": COMMENT}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "httplib", "message": f"looked up {NUMBER}", "data": {"url": f"/x?q={COMMENT}"}},
            ]
        },
    }


def test_an_event_leaves_without_the_body_cookies_query_user_or_numbers():
    scrubbed = error_reporting.scrub_event(crafted_event(), {})
    sent = json.dumps(scrubbed, ensure_ascii=False)
    for kept_out in (
        COMMENT,
        "山田花子",
        NUMBER,
        "621498320257",
        "secret-session-id",
        "hanako@example.jp",
        "198.51.100.7",
    ):
        assert kept_out not in sent, kept_out
    assert "q=" not in sent
    assert scrubbed["request"] == {
        "method": "POST",
        "url": "https://comments.city.example/consultations/x/comment",
        "headers": {"User-Agent": "Mozilla/5.0"},
    }
    assert "user" not in scrubbed and "extra" not in scrubbed
    # What the error was stays readable.
    [exception] = scrubbed["exception"]["values"]
    assert exception["type"] == "IntegrityError" and exception["value"].startswith("null value in column")
    assert exception["stacktrace"]["frames"] == [{"function": "accept_submission"}]
    assert scrubbed["message"] == "failed for [個人番号削除]"
    assert scrubbed["logentry"] == {"message": "unhandled error for [個人番号削除]"}
    assert scrubbed["breadcrumbs"]["values"] == [{"category": "httplib", "message": "looked up [個人番号削除]"}]


class _App:
    def __init__(self, **config):
        self.config = config


def test_without_a_dsn_sentry_is_not_started(monkeypatch):
    started = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: started.append(options))
    assert error_reporting.init_app(_App(SENTRY_DSN=None)) is False
    assert started == []
    assert not sentry_sdk.get_client().is_active()


def test_with_a_dsn_sentry_is_started_collecting_nothing_personal(monkeypatch):
    started = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: started.append(options))
    app = _App(SENTRY_DSN="https://key@sentry.example/1", SENTRY_ENVIRONMENT="production", SENTRY_RELEASE="1.2.3")
    assert error_reporting.init_app(app) is True
    [options] = started
    assert options["send_default_pii"] is False
    assert options["include_local_variables"] is False
    assert options["max_request_body_size"] == "never"
    assert options["before_send"] is error_reporting.scrub_event
    assert (options["environment"], options["release"]) == ("production", "1.2.3")
    assert {type(integration).__name__ for integration in options["integrations"]} == {
        "FlaskIntegration",
        "LoggingIntegration",
    }
