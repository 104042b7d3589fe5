"""Access denials and refused forms in the audit trail (R43), never so many that a flood fills it.

Two kinds of event, each naming the route asked for (the event's object, of type ``endpoints``) and the
method, with the actor, address, request id and UTC time every event has:

* ``access.denied``: any 403 (a permission the user lacks, from ``require`` or a blueprint's guard), and a
  "not found" that hides an object the user may not see (``load``, R26), with the object's type and id.
* ``validation.failed``: a form refused with 422, or a form of one button refused and sent back with a
  message (``post_change`` without a page), with the names of the fields that failed, never what was typed.
  The names come from the forms the refusal page was rendered with, so no view has to report them.

Each person (or address, when nobody is signed in) has at most REFUSALS_AUDITED_PER_ACTOR such events; the
first refusal past the limit writes one ``audit.refusals_suppressed`` event and one warning in the log, and
the rest of that window writes nothing: a script hammering a form costs a counter, not a row.

The event is written once the answer is made, in a write of its own. The request's transaction is rolled
back first: a refused request's uncommitted work is discarded at its end in any case, and on SQLite a GET's
read transaction could not turn into a write. A failure to write is logged and never changes the answer.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, request, template_rendered
from flask_wtf import FlaskForm
from limits import parse

from comments.blueprints.actors import request_actor
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.throttles import report_limit_reached, spend, subject_key
from comments.transactions import begin_write

logger = logging.getLogger("comments.refusals")

DENIED = "access.denied"
INVALID = "validation.failed"
SUPPRESSED = "audit.refusals_suppressed"
ACTIONS = (DENIED, INVALID, SUPPRESSED)
FORM_LEVEL = "(form)"  # an error of the whole form rather than of one field
MAX_FIELDS = 20


class Endpoint:
    """The route a refused request asked for, as the object of its event (object_type ``endpoints``)."""

    __tablename__ = "endpoints"

    def __init__(self, name: str | None):
        self.id = (name or "-")[:50]


def note_denial(**detail) -> None:
    """Record this request as an access denial once it is answered; ``detail``: identifiers only."""
    g.refusal = (DENIED, detail)


def note_refused_form(fields) -> None:
    """Record this request as a refused form once it is answered, naming ``fields`` (names only)."""
    g.refusal = (INVALID, {"fields": _names(fields)})


def _names(fields) -> list[str]:
    return sorted({str(name) if name else FORM_LEVEL for name in fields})[:MAX_FIELDS]


def _collect_failed_fields(_sender, template, context, **_extra) -> None:
    """Every form a page is rendered with that has errors: its fields' names, for a 422 answer."""
    for value in context.values():
        if isinstance(value, FlaskForm):
            failed = value.errors
            if failed:
                g.failed_fields = g.get("failed_fields", set()) | set(_names(failed))


def _refusal(response) -> tuple[str, dict] | None:
    refusal = g.pop("refusal", None)
    if refusal is None and response.status_code == 422:
        refusal = (INVALID, {"fields": _names(g.get("failed_fields", ()))})
    return refusal


def _allowance(actor: Actor) -> str | None:
    """What to write for this refusal: "record" within the actor's limit, "suppressed" for the first refusal
    past it, None for the rest of the window."""
    limit = current_app.config["REFUSALS_AUDITED_PER_ACTOR"]
    who = actor.name if actor.name != "anonymous" else f"address:{actor.ip}"
    subject = subject_key("refusals", who)
    if spend("refusal-audited", subject, limit, report=False):
        return "record"
    item = parse(limit)
    if spend("refusal-suppressed", subject, f"1 per {item.multiples} {item.GRANULARITY.name}", report=False):
        report_limit_reached("refusals audited per actor", item)
        return "suppressed"
    return None


def _record_refusal(response):
    refusal = _refusal(response)
    if refusal is None:
        return response
    action, detail = refusal
    try:
        actor = request_actor()
        allowance = _allowance(actor)
        if allowance is None:
            return response
        where = Endpoint(request.endpoint)
        db.session.rollback()
        begin_write()
        if allowance == "record":
            record_event(actor, action, where, method=request.method, status=response.status_code, **detail)
        else:
            record_event(actor, SUPPRESSED, where, limit=str(parse(current_app.config["REFUSALS_AUDITED_PER_ACTOR"])))
        db.session.commit()
    except Exception as error:  # the answer goes out whatever happened to its record
        db.session.rollback()
        logger.warning("refusal not recorded (%s) in request %s", type(error).__name__, g.get("request_id", "-"))
    return response


def init_app(app: Flask) -> None:
    """Collect the failed fields of every page rendered and record each refusal once it is answered."""
    template_rendered.connect(_collect_failed_fields, app)
    app.after_request(_record_refusal)
