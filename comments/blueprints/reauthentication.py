"""Recent re-authentication (R27): what leaves the system in bulk (the final packet, the audit trail) goes
only to someone who entered their password within the last five minutes, the window an approval has.

A session left open on an unattended desk is then no way to take the packet or the trail away. The instant
is kept in the signed session cookie together with the id of the server-side session row it belongs to, so
it counts in that session only and ends with it. Signing in sets it too: a person who signed in two minutes
ago has just proved who they are. A view that needs it returns ``ask_for_password()`` when that is not None
(or is decorated with ``require_recent_password``); ``auth.confirm_password`` asks for the password, checks
it as the sign-in form does (a wrong one counts against the account's sign-in limit) and sends the browser
back to where it was going.
"""

from __future__ import annotations

import functools

from flask import redirect, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from comments import clock
from comments.domain.responses import REAUTHENTICATION_WINDOW

SESSION_KEY = "password_confirmed"


def note_password_confirmed() -> None:
    """Remember that the signed-in user entered their password just now, for this session only."""
    session[SESSION_KEY] = {"session": current_user.session_id, "at": clock.now().timestamp()}


def password_recently_confirmed() -> bool:
    """Whether the signed-in user entered their password in this session within the window (signing in counts)."""
    stamp = session.get(SESSION_KEY)
    if not isinstance(stamp, dict) or stamp.get("session") != getattr(current_user, "session_id", None):
        return False
    elapsed = clock.now().timestamp() - float(stamp.get("at") or 0)
    return 0 <= elapsed <= REAUTHENTICATION_WINDOW.total_seconds()


def ask_for_password() -> Response | None:
    """None when the password was entered recently enough; else the way to the page that asks for it, which
    comes back to this very address (query string included) once it is entered."""
    if password_recently_confirmed():
        return None
    here = request.full_path.removesuffix("?")
    return redirect(url_for("auth.confirm_password", next=here), code=303)


def require_recent_password(view):
    """Decorate a view (below its ``@require``) that only someone who entered their password recently may use."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        return ask_for_password() or view(*args, **kwargs)

    return wrapped
