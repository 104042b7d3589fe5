"""Notifications that keep the committee's cycle moving: a row per person (listed on their home page and on
their notifications page) and a mail through the outbox, at once or in the person's daily digest.

Callers name a ``kind`` registered in ``KINDS`` (its line, with ``{placeholders}`` filled from ``params``)
and a ``link``: a path inside the service (``path_for(...)``), made absolute with ``PUBLIC_BASE_URL`` in the
mail and left relative on the pages. ``params`` must never carry a citizen's personal data: they are shown
on pages and mailed. A ``dedupe_key`` makes the notice once per person (a due date near, a step slipped).

Who is told what:

* department staff, when items are assigned to their department (``notify_items_assigned``, called by
  triage) and when a due date is near (``notify_due_soon``, a worker job);
* the approvers and the secretariat, when a response is sent for review (``notify_response_waiting``);
* the secretariat, when a question by e-mail is held in quarantine (``notify_mail_quarantined``) and when a
  step of a schedule slips past its planned date (``notify_slipped_steps``, a worker job);
* committee members, by the meetings and minutes code (papers posted, a meeting notice, draft minutes).

The daily digest (``send_digests``, a worker job) mails once a day, after ``NOTIFICATION_DIGEST_HOUR`` in
Japan, every notice made before that hour and not mailed yet: one mail per person. A notice of a person who
chose single mails that could not go at once (made with no application around it) goes in that round-up
too, so nothing is left unmailed for ever.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, has_app_context, has_request_context, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, cast, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from comments import clock
from comments.dates import calendar_day
from comments.domain.audit import Actor, record_event
from comments.domain.outbox import deliverable_address, enqueue_mail
from comments.extensions import db
from comments.labels import label
from comments.models import (
    Consultation,
    ConsultationStep,
    Department,
    InboundMessage,
    InboundStatus,
    Item,
    Notification,
    Response,
    ResponseState,
    StepKind,
    StepState,
    User,
    UserRole,
)
from comments.permissions import Permission, Role, allowed, roles_with

log = logging.getLogger(__name__)

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
    "report.approval_waiting": _l("The report to the council on {consultation} waits for the chair's approval"),
}

# Params holding a date (ISO, as ``date.isoformat()`` writes it), shown as a calendar day in the reader's
# language; a value that is not such a date is shown as it is.
DATE_PARAMS = frozenset({"due", "planned", "deadline"})
# Notices a page of the full list shows.
PAGE_SIZE = 20
# How many unread notices a home page lists before pointing to the full list.
HOME_LIMIT = 5

# The first keys of PostgreSQL's two-key advisory locks taken by the jobs below ("ntfd", "ntfs" in ASCII):
# one person's digest, and one scan for due dates and slipped steps. Other jobs use other first keys.
DIGEST_LOCK_KEY = 0x6E746664
SCAN_LOCK_KEY = 0x6E746673


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _shown(key: str, value):
    """A param as the reader sees it: dates as a calendar day, a step's kind by its name."""
    if key in DATE_PARAMS and isinstance(value, str) and has_app_context():
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return calendar_day(day)
    if key == "step" and isinstance(value, str) and value in StepKind.__members__:
        return label(StepKind(value))
    return value


def render(notification: Notification) -> str:
    """The notice's line in the current locale; a placeholder its params lack shows as empty, never fails."""
    template = KINDS.get(notification.kind)
    if template is None:
        return notification.kind
    params = {key: _shown(key, value) for key, value in (notification.params or {}).items()}
    return str(template).format_map(_Blank(params))


def path_for(endpoint: str, **values) -> str:
    """The path of a page for a notice's ``link``: from a request as ``url_for`` makes it; from the worker or a
    CLI command (no request, no SERVER_NAME) from the URL map directly. With no application at all (a test of
    the domain alone), "" (the notice then links to the notifications page)."""
    if has_request_context():
        return url_for(endpoint, **values)
    if has_app_context():
        return current_app.url_map.bind("localhost").build(endpoint, values)
    return ""


def _absolute(link: str) -> str:
    if not link:
        return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + link


def notify(
    users: Iterable[User], kind: str, *, params: dict | None = None, link: str = "", dedupe_key: str | None = None
) -> list[Notification]:
    """Notify each active one of ``users`` (each once, even if named twice): a row for the home page, and a
    mail now unless the person chose the daily digest. With ``dedupe_key``, a person who already had that
    notice gets nothing new, even when two workers make it at the same moment (the unique key decides, in
    a savepoint, so the caller's own work stands). Returns the notifications made."""
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
        if dedupe_key is None:
            _add(user, notification)
        else:
            try:
                with db.session.begin_nested():
                    _add(user, notification)
            except IntegrityError:
                continue
        made.append(notification)
    db.session.flush()
    return made


def _add(user: User, notification: Notification) -> None:
    db.session.add(notification)
    if not user.notify_daily and has_app_context():
        _mail_one(user, notification)
    db.session.flush()


def _mail_one(user: User, notification: Notification) -> None:
    address = deliverable_address(user.email)
    if address is None:
        return
    with force_locale("ja"):
        line = render(notification)
        body = render_template(
            "mail/notification.txt",
            user=user,
            line=line,
            link=_absolute(notification.link or path_for("auth.list_notifications")),
            account_link=_absolute(path_for("auth.account")),
        )
    # A title typed with a line break must not end the Subject header (nor refuse the caller's change).
    enqueue_mail(to=address, subject=" ".join(line.split()), body=body)
    notification.mailed_at = clock.now()


# --- A person's own notices --------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """How many of ``user``'s notices are unread (the navigation says so)."""
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


@dataclass(frozen=True)
class NotificationPage:
    """One page of a person's notices, unread first, newest first within each."""

    notifications: list[Notification]
    number: int
    pages: int
    total: int
    unread: int


def _own(user: User):
    return select(Notification).where(Notification.user_id == user.id)


def notifications_for(user: User, *, page: int = 1, per_page: int = PAGE_SIZE) -> NotificationPage:
    """Page ``page`` (from 1) of ``user``'s notices: unread ones first, newest first within each. A page past
    the last one is empty; the caller says so."""
    total = int(db.session.scalar(select(func.count()).select_from(_own(user).subquery())) or 0)
    rows = list(
        db.session.scalars(
            _own(user)
            .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    pages = max(1, -(-total // per_page))
    return NotificationPage(rows, page, pages, total, unread_count(user))


def unread_for_home(user: User, *, limit: int = HOME_LIMIT) -> list[Notification]:
    """The newest unread notices of ``user``, for their home page."""
    return list(
        db.session.scalars(
            _own(user)
            .where(Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(limit)
        )
    )


def own_notification(user: User, notification_id: int) -> Notification | None:
    """``user``'s notice with this id; None when there is none or it is someone else's (a 404 for the page)."""
    return db.session.scalars(_own(user).where(Notification.id == notification_id)).one_or_none()


def mark_read(notification: Notification, *, actor: Actor) -> bool:
    """Mark one notice read; returns whether it was unread. The caller has checked it is the person's own."""
    if notification.read_at is not None:
        return False
    notification.read_at = clock.now()
    db.session.flush()
    record_event(actor, "notification.read", notification)
    return True


def mark_all_read(user: User, *, actor: Actor) -> int:
    """Mark every unread notice of ``user`` read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
    count = result.rowcount or 0
    if count:
        record_event(actor, "notification.all_read", user, count=count)
    return count


def choose_delivery(user: User, *, daily: bool, actor: Actor) -> None:
    """Single mails (``daily`` False) or one digest a day; audited. Notices waiting for a digest when the
    person goes back to single mails go in the next daily round-up, so none is lost."""
    if user.notify_daily == daily:
        return
    user.notify_daily = daily
    db.session.flush()
    record_event(actor, "account.notification_delivery", user, daily=daily)


# --- Who is told ---------------------------------------------------------------------------------------------


def _holders_of(*roles: Role) -> list[User]:
    """The active accounts holding any of ``roles``."""
    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.active.is_(True), UserRole.role.in_(list(roles)))
            .order_by(User.id)
            .distinct()
        )
    )


def department_staff(department_id: int) -> list[User]:
    """The active department staff of one department (those who draft its responses)."""
    return [user for user in _holders_of(Role.department_staff) if user.department_id == department_id]


def secretariat() -> list[User]:
    """The active accounts of the secretariat (those who run consultations)."""
    return _holders_of(*roles_with(Permission.consultation_manage))


def notify_items_assigned(items: list[Item], department: Department) -> list[Notification]:
    """Tell the department's staff that items were assigned to them: one notice per consultation per
    assignment, with how many items and the consultation's title (never a submitter's words)."""
    staff = department_staff(department.id)
    if not staff or not items:
        return []
    by_consultation: dict[int, int] = {}
    for item in items:
        by_consultation[item.consultation_id] = by_consultation.get(item.consultation_id, 0) + 1
    made = []
    for consultation_id, count in sorted(by_consultation.items()):
        consultation = db.session.get(Consultation, consultation_id)
        made += notify(
            staff,
            "items.assigned",
            params={"count": count, "consultation": consultation.title},
            link=path_for("staff.department_queue"),
        )
    return made


class _OfDepartment:
    """What ``permissions.allowed`` reads of an object: the department it belongs to."""

    def __init__(self, department_id: int | None):
        self.department_id = department_id


def notify_response_waiting(response: Response) -> list[Notification]:
    """Tell those who may act on a response just sent for review, never anyone who wrote it (R25): the
    approvers (of its department, and of the whole city) that it waits for their approval, the secretariat
    that it waits for their review (they review every department's responses and may approve them). Once
    per revision sent."""
    items = [response.item] if response.item_id is not None else list(response.group.items)
    if not items:
        return []
    first = min(items, key=lambda item: item.number)
    owner = _OfDepartment(first.department_id)
    consultation = db.session.get(Consultation, first.consultation_id)
    may_approve = [
        user
        for user in _holders_of(*roles_with(Permission.response_approve))
        if allowed(user, Permission.response_approve, owner) and not response.is_author(user)
    ]
    # By role, not by ``in``: accounts compare equal by their session id (Flask-Login), None when not signed in.
    approving = {Role.department_approver, Role.city_approver}
    approvers = [user for user in may_approve if user.roles & approving]
    reviewers = [user for user in may_approve if not user.roles & approving]
    params = {"number": first.number, "consultation": consultation.title}
    link = path_for("staff.show_response", item_id=first.id)
    revision = len(response.revisions)
    made = notify(
        approvers,
        "response.approval_waiting",
        params=params,
        link=link,
        dedupe_key=f"response:{response.id}:{revision}:approval",
    )
    made += notify(
        reviewers,
        "response.review_waiting",
        params=params,
        link=link,
        dedupe_key=f"response:{response.id}:{revision}:review",
    )
    return made


def notify_mail_quarantined() -> list[Notification]:
    """Tell the secretariat (those who review the quarantine) that a mail waits there. A burst of mail gives
    each person one unread notice: none while they have one unread, and at most one a Japan day."""
    count = int(
        db.session.scalar(
            select(func.count()).select_from(InboundMessage).where(InboundMessage.status == InboundStatus.quarantined)
        )
        or 0
    )
    unread = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "mail.quarantined", Notification.read_at.is_(None))
        )
    )
    people = [user for user in _holders_of(*roles_with(Permission.mail_quarantine_review)) if user.id not in unread]
    return notify(
        people,
        "mail.quarantined",
        params={"count": count},
        link=path_for("staff.list_quarantine"),
        dedupe_key=f"mail.quarantined:{clock.japan_today().isoformat()}",
    )


# --- The worker's jobs ---------------------------------------------------------------------------------------


def _try_lock(first_key: int, second_key: int) -> bool:
    """Take a two-key advisory lock until the transaction ends, without waiting; on SQLite BEGIN IMMEDIATE
    already keeps every other writer out, so it is always held."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return True
    keys = cast(first_key, Integer), cast(second_key, Integer)
    return bool(session.execute(select(func.pg_try_advisory_xact_lock(*keys))).scalar())


def notify_due_soon(*, today: date | None = None) -> int:
    """Tell each department's staff of the items due within ``NOTIFICATION_DUE_SOON_DAYS`` Japan days whose
    response is not approved yet (an item carried over to a later meeting is not waited for): one notice per
    department, consultation and due date, once. Returns how many notices were made. The caller commits."""
    if not _try_lock(SCAN_LOCK_KEY, 1):
        return 0
    today = today or clock.japan_today()
    until = today + timedelta(days=int(current_app.config["NOTIFICATION_DUE_SOON_DAYS"]))
    own = aliased(Response)
    grouped = aliased(Response)
    state = func.coalesce(grouped.state, own.state)
    rows = db.session.execute(
        select(Item.department_id, Item.consultation_id, Item.due_on, func.count())
        .outerjoin(own, own.item_id == Item.id)
        .outerjoin(grouped, and_(Item.group_id.is_not(None), grouped.group_id == Item.group_id))
        .where(
            Item.department_id.is_not(None),
            Item.due_on >= today,
            Item.due_on <= until,
            Item.carried_over_reason.is_(None),
            or_(state.is_(None), state != ResponseState.approved),
        )
        .group_by(Item.department_id, Item.consultation_id, Item.due_on)
        .order_by(Item.due_on, Item.department_id, Item.consultation_id)
    ).all()
    made = 0
    link = path_for("staff.department_queue", due="due_soon")
    for department_id, consultation_id, due_on, count in rows:
        consultation = db.session.get(Consultation, consultation_id)
        made += len(
            notify(
                department_staff(department_id),
                "items.due_soon",
                params={"count": count, "consultation": consultation.title, "due": due_on.isoformat()},
                link=link,
                dedupe_key=f"items.due_soon:{department_id}:{consultation_id}:{due_on.isoformat()}",
            )
        )
    return made


def notify_slipped_steps(*, actor: Actor, today: date | None = None) -> int:
    """Tell the secretariat of each step past its planned date and not done, once per step (its
    ``slip_notified_at`` is set, and audited). Returns how many steps were told. The caller commits."""
    if not _try_lock(SCAN_LOCK_KEY, 2):
        return 0
    today = today or clock.japan_today()
    steps = list(
        db.session.scalars(
            select(ConsultationStep)
            .where(
                ConsultationStep.state != StepState.done,
                ConsultationStep.planned_on < today,
                ConsultationStep.slip_notified_at.is_(None),
            )
            .order_by(ConsultationStep.planned_on, ConsultationStep.id)
        )
    )
    if not steps:
        return 0
    people = secretariat()
    for step in steps:
        consultation = db.session.get(Consultation, step.consultation_id)
        notify(
            people,
            "step.slipped",
            params={
                "step": step.kind.value,
                "consultation": consultation.title,
                "planned": step.planned_on.isoformat(),
            },
            link=path_for("staff.show_progress", consultation_id=consultation.id),
            dedupe_key=f"step.slipped:{step.id}:{step.planned_on.isoformat()}",
        )
        step.slip_notified_at = clock.now()
        db.session.flush()
        record_event(
            actor, "schedule.step_slipped", consultation, step=step.kind.value, planned_on=str(step.planned_on)
        )
    return len(steps)


def digest_cutoff(now: datetime | None = None) -> datetime | None:
    """The instant of today's digest (``NOTIFICATION_DIGEST_HOUR`` o'clock in Japan, in UTC), or None before
    it: the digest lists the notices made before it and not mailed yet."""
    now = now or clock.now()
    local = now.astimezone(clock.JAPAN)
    hour = int(current_app.config["NOTIFICATION_DIGEST_HOUR"])
    if local.hour < hour:
        return None
    return datetime.combine(local.date(), time(hour), tzinfo=clock.JAPAN).astimezone(UTC)


def send_digests(limit: int, *, actor: Actor) -> int:
    """Mail today's digest to up to ``limit`` people: one mail each, listing every notice of theirs made before
    today's digest hour and not mailed yet; each person in a transaction of their own. Returns how many
    people were handled.

    Safe to run again and by two workers at once: a person's notices are read again under that person's
    lock (PostgreSQL: a two-key advisory lock; SQLite: BEGIN IMMEDIATE) and marked mailed in the same
    transaction as the mail, so a second run, or the other worker, finds nothing left to send. A notice made
    after the hour waits for tomorrow's digest, so nobody gets two digests in one day.
    """
    cutoff = digest_cutoff()
    if cutoff is None:
        return 0
    waiting = select(Notification.user_id).where(Notification.mailed_at.is_(None), Notification.created_at < cutoff)
    user_ids = list(
        db.session.scalars(
            select(User.id).where(User.id.in_(waiting), User.active.is_(True)).order_by(User.id).limit(limit)
        )
    )
    db.session.commit()
    handled = 0
    for user_id in user_ids:
        try:
            if _try_lock(DIGEST_LOCK_KEY, user_id):
                handled += _send_digest(db.session.get(User, user_id), cutoff, actor=actor)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("the digest of user %s failed; the next pass tries again", user_id)
    return handled


def _send_digest(user: User, cutoff: datetime, *, actor: Actor) -> int:
    notices = list(
        db.session.scalars(
            _own(user)
            .where(Notification.mailed_at.is_(None), Notification.created_at < cutoff)
            .order_by(Notification.created_at, Notification.id)
            .execution_options(populate_existing=True)
        )
    )
    if not notices:
        return 0
    now = clock.now()
    address = deliverable_address(user.email)
    if address is not None:
        day = cutoff.astimezone(clock.JAPAN).date()
        with force_locale("ja"):
            lines = [
                (render(notice), _absolute(notice.link or path_for("auth.list_notifications"))) for notice in notices
            ]
            subject = str(_l("Notices of %(day)s (%(count)d)", day=calendar_day(day), count=len(notices)))
            body = render_template(
                "mail/notification_digest.txt",
                user=user,
                lines=lines,
                list_link=_absolute(path_for("auth.list_notifications")),
                account_link=_absolute(path_for("auth.account")),
            )
        enqueue_mail(to=address, subject=subject, body=body)
    # An address no mail server takes is not tried every pass: the notices stay listed on the home page.
    for notice in notices:
        notice.mailed_at = now
    db.session.flush()
    record_event(actor, "notification.digest_mailed", user, count=len(notices), delivered=address is not None)
    return 1


def notify_report_waiting(report) -> list[Notification]:
    """The chair, when the secretariat has drafted the report to the council: it waits for their approval in the
    portal. Once per report (a redraft of its text is the same report still waiting)."""
    chairs = _holders_of(*roles_with(Permission.council_report_approve))
    return notify(
        chairs,
        "report.approval_waiting",
        params={"consultation": report.consultation.title},
        link=path_for("committee.show_council_report", consultation_id=report.consultation_id),
        dedupe_key=f"council-report:{report.id}",
    )
