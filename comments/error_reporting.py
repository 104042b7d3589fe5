"""Error reports to Sentry, only when ``SENTRY_DSN`` is set, and never with personal data (R16, R44).

An error report would otherwise carry what the failing request carried: the comment's text (the body), the
session cookie, a query string, who was signed in, the local variables of every frame (a submitter's name
and address), and the exception's text, in which a database driver quotes the row it refused. So:

* the SDK is told to collect none of it (``send_default_pii=False``, no request bodies, no local
  variables, no integrations switched on by what happens to be installed);
* every event passes ``scrub_event`` before it leaves: the request keeps its method, its path and a few
  plain headers; user, cookies, query string, body, environment and ``extra`` (a command's arguments) go;
  exception values lose a driver's quote of the row; every text has its individual numbers masked;
* log lines are breadcrumbs only (cleaned by comments/logs.py when made, masked again here). A logged
  exception reaches the logging integration without its traceback (comments/logs.py takes it off the
  record), so the two places where an error ends its work report it themselves (``report_exception``):
  the error page of an unexpected exception, and a worker job that failed.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import sentry_sdk
from flask import Flask
from sentry_sdk.integrations.flask import FlaskIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

from comments.domain.masking import masked
from comments.logs import clean_exception_text

# Request headers an error report keeps: none names a person or carries a credential.
KEPT_HEADERS = frozenset({"host", "user-agent", "accept", "accept-language", "content-type", "content-length"})


def init_app(app: Flask) -> bool:
    """Start the SDK when ``SENTRY_DSN`` is set; return whether it was started."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=app.config.get("SENTRY_ENVIRONMENT"),
        release=app.config.get("SENTRY_RELEASE"),
        integrations=[FlaskIntegration(), LoggingIntegration(event_level=None)],
        auto_enabling_integrations=False,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
    )
    return True


def report_exception(error: BaseException) -> None:
    """Send ``error`` to Sentry when it is on; nothing otherwise."""
    if sentry_sdk.get_client().is_active():
        sentry_sdk.capture_exception(error)


def _path_only(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _frames(event: dict):
    for holder in ("exception", "threads"):
        for value in (event.get(holder) or {}).get("values") or []:
            yield from (value.get("stacktrace") or {}).get("frames") or []


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's ``before_send``: the event without personal data (see the module's docstring)."""
    request = event.get("request")
    if request:
        event["request"] = {
            "method": request.get("method"),
            "url": masked(_path_only(str(request.get("url") or ""))),
            "headers": {
                name: masked(str(value))
                for name, value in (request.get("headers") or {}).items()
                if name.lower() in KEPT_HEADERS
            },
        }
    for key in ("user", "extra"):
        event.pop(key, None)
    for value in (event.get("exception") or {}).get("values") or []:
        if value.get("value"):
            value["value"] = clean_exception_text(str(value["value"]))
    for frame in _frames(event):
        frame.pop("vars", None)
    if isinstance(event.get("message"), str):
        event["message"] = masked(event["message"])
    logentry = event.get("logentry")
    if logentry:
        event["logentry"] = {
            key: masked(str(logentry[key])) for key in ("message", "formatted") if logentry.get(key) is not None
        }
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        breadcrumbs["values"] = [scrub_breadcrumb(crumb) for crumb in breadcrumbs.get("values") or []]
    return event


def scrub_breadcrumb(crumb: dict, hint: dict | None = None) -> dict:
    """Sentry's ``before_breadcrumb``: the message masked, the data (a URL, a query's values) left out."""
    crumb.pop("data", None)
    if crumb.get("message"):
        crumb["message"] = masked(str(crumb["message"]))
    return crumb
