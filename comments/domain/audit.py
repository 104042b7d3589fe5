"""Writing the audit trail. Callers pass identifiers and counts, never personal data or comment text."""

from __future__ import annotations

from dataclasses import dataclass

from comments.extensions import db
from comments.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acted, and from where. Web requests, CLI commands and workers each build one."""

    name: str
    ip: str | None = None
    request_id: str | None = None


SYSTEM = Actor("system")


def record_event(actor: Actor, action: str, obj, **detail) -> AuditEvent:
    """Append one event for ``action`` on ``obj`` (a model instance, flushed so it has an id)."""
    event = AuditEvent(
        actor=actor.name,
        action=action,
        object_type=type(obj).__tablename__ if hasattr(type(obj), "__tablename__") else type(obj).__name__,
        object_id=str(getattr(obj, "id", "")) or None,
        ip=actor.ip,
        request_id=actor.request_id,
        detail=detail,
    )
    db.session.add(event)
    return event
