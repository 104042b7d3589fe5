"""Notifications that keep the committee's cycle moving: a row per person (listed on their home page) and a
mail through the outbox, at once or in the person's daily digest.

Callers name a ``kind`` registered in ``KINDS`` (its subject line, with ``{placeholders}`` filled from
``params``) and a ``link``: a path inside the service (``url_for(...)``), made absolute with
``PUBLIC_BASE_URL`` in the mail. ``params`` must never carry a citizen's personal data: they are shown on
pages and mailed. A ``dedupe_key`` makes the notice once per person (a due date near, a step slipped).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from comments import clock
from comments.domain.outbox import deliverable_address, enqueue_mail
from comments.extensions import db
from comments.models import Notification, User

# kind → the notice's one line, in English (translated in the catalog), with {placeholders} from params.
KINDS: dict[str, object] = {
    "meeting.notice": _l("Notice of meeting: {meeting}"),
    "meeting.papers_posted": _l("Papers posted for {meeting}"),
    "minutes.circulated": _l("Draft minutes of {meeting} for your comments by {deadline}"),
    "items.assigned": _l("{count} item(s) of {consultation} assigned to your department"),
    "items.due_soon": _l("{count} item(s) of {consultation} are due on {due}"),
    "response.review_waiting": _l("A response to item No. {number} of {consultation} waits for your review"),
    "response.approval_waiting": _l("A response to item No. {number} of {consultation} waits for approval"),
    "mail.quarantined": _l("A mail was held for checking ({count} waiting)"),
    "step.slipped": _l("{step} of {consultation} is past its planned date ({planned})"),
}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def render(notification: Notification) -> str:
    """The notice's line in the current locale; a placeholder its params lack shows as empty, never fails."""
    template = KINDS.get(notification.kind)
    if template is None:
        return notification.kind
    return str(template).format_map(_Blank(notification.params or {}))


def _absolute(link: str) -> str:
    if not link:
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + link


def notify(
    users: Iterable[User], kind: str, *, params: dict | None = None, link: str = "", dedupe_key: str | None = None
) -> list[Notification]:
    """Notify each active one of ``users`` (each once, even if named twice): a row for the home page, and a
    mail now unless the person chose the daily digest. With ``dedupe_key``, a person who already had that
    notice gets nothing new. Returns the notifications made."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    params = dict(params or {})
    made: list[Notification] = []
    seen: set[int] = set()
    for user in users:
        if user is None or not user.active or user.id in seen:
            continue
        seen.add(user.id)
        if dedupe_key is not None and db.session.scalar(
            select(Notification.id).where(Notification.user_id == user.id, Notification.dedupe_key == dedupe_key)
        ):
            continue
        notification = Notification(user=user, kind=kind, params=params, link=link, dedupe_key=dedupe_key)
        db.session.add(notification)
        if not user.notify_daily:
            _mail_one(user, notification)
        made.append(notification)
    db.session.flush()
    return made


def _mail_one(user: User, notification: Notification) -> None:
    address = deliverable_address(user.email)
    if address is None:
        return
    with force_locale("ja"):
        line = render(notification)
        body = "\n".join(
            [
                f"{user.display_name} 様",
                "",
                line,
                "",
                _absolute(notification.link),
                "",
                str(_l("This notice is also listed on your home page in the service.")),
            ]
        )
    enqueue_mail(to=address, subject=line, body=body)
    notification.mailed_at = clock.now()
