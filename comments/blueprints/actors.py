"""Who is acting in a web request, for the audit trail: the signed-in user or "anonymous", and from where."""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from comments.domain.audit import Actor


def request_actor(name: str | None = None) -> Actor:
    """The actor of this request; ``name`` overrides it (a user who is signing in is not signed in yet)."""
    if name is None:
        name = f"user:{current_user.id}" if current_user.is_authenticated else "anonymous"
    return Actor(name, ip=request.remote_addr, request_id=g.get("request_id"))
