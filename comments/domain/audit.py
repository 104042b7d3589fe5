"""Writing the audit trail. Callers pass identifiers and counts, never personal data or comment text."""

from __future__ import annotations

from dataclasses import dataclass

from comments.domain import clock
from comments.extensions import db
from comments.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acted, and from where. Web requests, CLI commands and workers each build one."""

    name: str
    ip: str | None = None
    request_id: str | None = None


SYSTEM = Actor("system")
# One statement, compiled once and cached; each event only binds its values.
_INSERT_EVENT = AuditEvent.__table__.insert()


def record_event(actor: Actor, action: str, obj, **detail) -> None:
    """Append one event for ``action`` on ``obj`` (a model instance, flushed so it has an id).

    Written with a single INSERT statement rather than through the ORM's unit of work: the trail is
    append-only, so nothing ever needs the row as an object, and the submission path saves a flush.
    """
    db.session.execute(
        _INSERT_EVENT,
        {
            "occurred_at": clock.now(),
            "actor": actor.name,
            "action": action,
            "object_type": getattr(type(obj), "__tablename__", type(obj).__name__),
            "object_id": str(getattr(obj, "id", "")) or None,
            "ip": actor.ip,
            "request_id": actor.request_id,
            "detail": detail,
        },
    )
