"""Reading the audit trail: filters, the unusual patterns the committee asked to be watched, and the
record that somebody reviewed a period (logs nobody reads are worthless).

The trail holds identifiers (``user:2``, ``login.succeeded``); a reviewer reads names: the person's name with
their roles and department, and each event's name in their language (``EVENT_LABELS``, one for every event
the code records; tests/unit/test_audit_labels.py checks none is missing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, pgettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from comments import clock
from comments.clock import JAPAN
from comments.dates import japan_time
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.labels import label
from comments.models import AuditEvent, AuditReview, User

PERSONAL_DATA_ACTIONS = ("personal_data.viewed",)
EXPORT_SUFFIX = ".exported"
# A person who looks at more personal data than this in the reviewed period is flagged.
MANY_VIEWS = 50
# Office hours in Japan time, weekdays; a look at personal data outside them is flagged.
OFFICE_HOURS = range(8, 20)
MAX_EVENTS_SHOWN = 500
# Flags look at this much of the trail when the reviewer gives no period.
DEFAULT_FLAG_PERIOD = timedelta(days=7)


@dataclass
class AuditFilter:
    actor: str = ""
    action: str = ""
    start: datetime | None = None
    end: datetime | None = None

    def query(self):
        query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        if self.actor:
            query = query.where(AuditEvent.actor.in_(People().keys(self.actor)))
        if self.action:
            query = query.where(AuditEvent.action.startswith(self.action))
        if self.start:
            query = query.where(AuditEvent.occurred_at >= self.start)
        if self.end:
            query = query.where(AuditEvent.occurred_at < self.end)
        return query


@dataclass
class Flags:
    """What a reviewer should look at first."""

    many_views: dict[str, int] = field(default_factory=dict)
    out_of_hours: list[AuditEvent] = field(default_factory=list)
    exports: dict[str, int] = field(default_factory=dict)

    @property
    def any(self) -> bool:
        return bool(self.many_views or self.out_of_hours or self.exports)


# Every event the code records, by the name a reviewer reads; an event missing here shows its identifier.
EVENT_LABELS = {
    "access.denied": lazy_pgettext("audit event", "Was refused a page or an action"),
    "account.notification_delivery": lazy_pgettext("audit event", "Changed how notices are mailed"),
    "accounts.reviewed": lazy_pgettext("audit event", "Reviewed every account"),
    "agenda_item.added": lazy_pgettext("audit event", "Added an agenda item"),
    "agenda_item.moved": lazy_pgettext("audit event", "Moved an agenda item"),
    "agenda_item.removed": lazy_pgettext("audit event", "Removed an agenda item"),
    "agenda_item.updated": lazy_pgettext("audit event", "Changed an agenda item"),
    "attachment.original_destroyed": lazy_pgettext("audit event", "Destroyed an attachment as it arrived"),
    "attachment.redacted": lazy_pgettext("audit event", "Replaced an attachment with a redacted copy"),
    "attachment.replaced_destroyed": lazy_pgettext("audit event", "Destroyed a replaced copy of an attachment"),
    "audit.exported": lazy_pgettext("audit event", "Exported the audit trail"),
    "audit.refusals_suppressed": lazy_pgettext(
        "audit event", "Refusals past the limit are no longer recorded one by one"
    ),
    "audit.reviewed": lazy_pgettext("audit event", "Marked a period of the audit trail as reviewed"),
    "consultation.archived": lazy_pgettext("audit event", "Archived a consultation"),
    "consultation.closed": lazy_pgettext("audit event", "Closed a consultation"),
    "consultation.contact_data_deleted": lazy_pgettext(
        "audit event", "Deleted the submitters' names and contact details"
    ),
    "consultation.created": lazy_pgettext("audit event", "Created a consultation"),
    "consultation.deadline_extended": lazy_pgettext("audit event", "Extended a deadline"),
    "consultation.inspected": lazy_pgettext("audit event", "Recorded the committee's inspection"),
    "consultation.material_attached": lazy_pgettext("audit event", "Attached a material to a consultation"),
    "consultation.opened": lazy_pgettext("audit event", "Published a consultation"),
    "consultation.responding": lazy_pgettext("audit event", "Started preparing the responses"),
    "consultation.sections_replaced": lazy_pgettext("audit event", "Imported the sections of a draft"),
    "consultation.seeded": lazy_pgettext("audit event", "Created the demonstration data"),
    "consultation.updated": lazy_pgettext("audit event", "Changed a consultation"),
    "council_report.approved": lazy_pgettext("audit event", "Approved a report to the council"),
    "council_report.drafted": lazy_pgettext("audit event", "Drafted a report to the council"),
    "council_report.edited": lazy_pgettext("audit event", "Edited a report to the council"),
    "council_report.exported": lazy_pgettext("audit event", "Downloaded a report to the council"),
    "council_report.reassembled": lazy_pgettext("audit event", "Assembled a report's text again"),
    "department.created": lazy_pgettext("audit event", "Created a department"),
    "department.merged": lazy_pgettext("audit event", "Merged departments"),
    "department.renamed": lazy_pgettext("audit event", "Renamed a department"),
    "group.created": lazy_pgettext("audit event", "Grouped items of the same purport"),
    "inbound_message.accepted": lazy_pgettext("audit event", "Filed a mail as a member's question"),
    "inbound_message.dropped": lazy_pgettext("audit event", "Dropped an automatic mail"),
    "inbound_message.quarantined": lazy_pgettext("audit event", "Held a mail for checking"),
    "inbound_message.rejected": lazy_pgettext("audit event", "Rejected a mail held for checking"),
    "inbound_message.released": lazy_pgettext("audit event", "Released a mail as a member's question"),
    "inbox.exported": lazy_pgettext("audit event", "Exported the inbox list"),
    "inquiry.answered": lazy_pgettext("audit event", "Recorded the answer to an inquiry"),
    "inquiry.sent": lazy_pgettext("audit event", "Recorded an inquiry"),
    "intake_token.rotated": lazy_pgettext("audit event", "Made a new intake address"),
    "invitation.accepted": lazy_pgettext("audit event", "Accepted an invitation and set up the account"),
    "invitation.cancelled": lazy_pgettext("audit event", "Cancelled an invitation"),
    "invitation.resent": lazy_pgettext("audit event", "Sent an invitation again"),
    "invitation.sent": lazy_pgettext("audit event", "Invited a person"),
    "item.assigned": lazy_pgettext("audit event", "Assigned items to a department"),
    "item.carried_over": lazy_pgettext("audit event", "Carried an item over to a later meeting"),
    "item.created": lazy_pgettext("audit event", "Made an item of part of a submission"),
    "items.exported": lazy_pgettext("audit event", "Exported the item list"),
    "login.failed": lazy_pgettext("audit event", "Failed to sign in"),
    "login.second_factor_failed": lazy_pgettext("audit event", "Entered a wrong second-factor code"),
    "login.succeeded": lazy_pgettext("audit event", "Signed in"),
    "logout": lazy_pgettext("audit event", "Signed out"),
    "material.downloaded": lazy_pgettext("audit event", "Downloaded a material"),
    "meeting.attendance_recorded": lazy_pgettext("audit event", "Recorded the attendance"),
    "meeting.created": lazy_pgettext("audit event", "Created a meeting"),
    "meeting.notice_sent": lazy_pgettext("audit event", "Sent a meeting notice"),
    "meeting.updated": lazy_pgettext("audit event", "Changed a meeting"),
    "meeting_paper.downloaded": lazy_pgettext("audit event", "Read a meeting paper"),
    "meeting_paper.posted": lazy_pgettext("audit event", "Posted a meeting paper"),
    "meeting_paper.removed": lazy_pgettext("audit event", "Removed a meeting paper"),
    "minutes.circulated": lazy_pgettext("audit event", "Sent draft minutes to the members"),
    "minutes.commented": lazy_pgettext("audit event", "Commented on draft minutes"),
    "minutes.finalised": lazy_pgettext("audit event", "Finalised minutes"),
    "minutes.published": lazy_pgettext("audit event", "Published minutes"),
    "minutes.started": lazy_pgettext("audit event", "Started minutes"),
    "minutes.version_saved": lazy_pgettext("audit event", "Saved a version of minutes"),
    "notification.all_read": lazy_pgettext("audit event", "Marked every notice as read"),
    "notification.digest_mailed": lazy_pgettext("audit event", "Mailed the day's notices in one mail"),
    "notification.read": lazy_pgettext("audit event", "Marked a notice as read"),
    "opinion.answered": lazy_pgettext("audit event", "Recorded the city's answer to a committee opinion"),
    "opinion.carried": lazy_pgettext("audit event", "Carried a committee opinion over"),
    "opinion.closed": lazy_pgettext("audit event", "Closed a carried committee opinion"),
    "opinion.recorded": lazy_pgettext("audit event", "Recorded a committee opinion"),
    "outbox.retried": lazy_pgettext("audit event", "Tried a mail again"),
    "packet.exported": lazy_pgettext("audit event", "Downloaded an inspection packet"),
    "password.confirmed": lazy_pgettext("audit event", "Entered the password again"),
    "password.reset": lazy_pgettext("audit event", "Set a new password"),
    "password.reset_requested": lazy_pgettext("audit event", "Asked for a new password"),
    "password.reset_withheld": lazy_pgettext("audit event", "Sent no password link: too many asked for"),
    "personal_data.exported": lazy_pgettext("audit event", "Exported personal data"),
    "personal_data.viewed": lazy_pgettext("audit event", "Looked at personal data"),
    "queue.exported": lazy_pgettext("audit event", "Exported a department's queue"),
    "response.approved": lazy_pgettext("audit event", "Approved a response"),
    "response.commented": lazy_pgettext("audit event", "Commented on a response"),
    "response.saved": lazy_pgettext("audit event", "Saved a response"),
    "response.submitted": lazy_pgettext("audit event", "Sent a response for review"),
    "response_template.created": lazy_pgettext("audit event", "Added a response template"),
    "results.corrected": lazy_pgettext("audit event", "Corrected a published line of the results"),
    "results.omitted": lazy_pgettext("audit event", "Left a line out of the results"),
    "results.prepared": lazy_pgettext("audit event", "Prepared the results"),
    "results.published": lazy_pgettext("audit event", "Published the results"),
    "results.redacted": lazy_pgettext("audit event", "Removed something from a line of the results"),
    "results.withdrawn": lazy_pgettext("audit event", "Withdrew the results"),
    "schedule.step_replanned": lazy_pgettext("audit event", "Moved the planned date of a step"),
    "schedule.step_slipped": lazy_pgettext("audit event", "A step passed its planned date"),
    "schedule.step_stamped": lazy_pgettext("audit event", "Recorded a step as done"),
    "schedule.step_updated": lazy_pgettext("audit event", "Changed a step of the schedule"),
    "second_factor_reset.cancelled": lazy_pgettext("audit event", "Cancelled a second-factor reset"),
    "second_factor_reset.requested": lazy_pgettext("audit event", "Asked for a second-factor reset"),
    "submission.accepted": lazy_pgettext("audit event", "Received a submission"),
    "submission.late_decided": lazy_pgettext("audit event", "Decided on a late submission"),
    "submission.part_marked_not_opinion": lazy_pgettext("audit event", "Marked part of a submission as not an opinion"),
    "submission.receipt_mail_withheld": lazy_pgettext("audit event", "Sent no receipt mail: too many to one address"),
    "submission.transcription_checked": lazy_pgettext("audit event", "Checked a transcription against its scan"),
    "transfer.cancelled": lazy_pgettext("audit event", "Cancelled a transfer"),
    "transfer.planned": lazy_pgettext("audit event", "Recorded a transfer to come"),
    "user.created": lazy_pgettext("audit event", "Created an account"),
    "user.deactivated": lazy_pgettext("audit event", "Deactivated an account"),
    "user.roles_changed": lazy_pgettext("audit event", "Changed an account's roles"),
    "user.second_factor_enabled": lazy_pgettext("audit event", "Set up the second factor"),
    "user.second_factor_reset": lazy_pgettext("audit event", "Reset a second factor"),
    "user.transferred": lazy_pgettext("audit event", "Carried out a transfer"),
    "validation.failed": lazy_pgettext("audit event", "Sent a form that was refused"),
}

# Who acts when no person does: the trail's names for the service's own processes.
PROCESS_LABELS = {
    "anonymous": _l("Someone not signed in"),
    "cli": _l("A command run on the server"),
    "mail-intake": _l("The mail intake"),
    "system": _l("The service"),
    "worker": _l("The background worker"),
}


def event_label(action: str) -> str:
    """The event's name in the reader's language; its identifier when the code records one without a name."""
    name = EVENT_LABELS.get(action)
    return str(name) if name is not None else action


class People:
    """The actors of the trail by name. ``user:2`` is an account: its display name, and for the table its
    roles and department as they are now; the service's processes have names of their own. An identifier
    that is neither (a removed account, a test's actor) is shown as it is, so nothing is hidden."""

    def __init__(self):
        users = db.session.scalars(select(User).options(selectinload(User.department))).all()
        self._users = {f"user:{user.id}": user for user in users}

    def name(self, actor: str) -> str:
        """The person's name (管理者 デモ), or the process's."""
        user = self._users.get(actor)
        if user is not None:
            return user.display_name
        process = PROCESS_LABELS.get(actor)
        return str(process) if process is not None else actor

    def subject(self, actor: str) -> str:
        """The actor as the subject of a sentence: a person with the honorific Japanese gives a name
        (管理者 デモさん), anything else by its name alone."""
        if actor in self._users:
            return pgettext("person named in a sentence", "%(name)s", name=self.name(actor))
        return self.name(actor)

    @staticmethod
    def event(action: str) -> str:
        """The event's name, for the page that lists people and what they did."""
        return event_label(action)

    def keys(self, text: str) -> set[str]:
        """The identifiers a reviewer may mean by ``text``: itself, and every account or process of that name."""
        wanted = " ".join(text.split())
        keys = {text}
        keys.update(key for key, user in self._users.items() if " ".join(user.display_name.split()) == wanted)
        keys.update(key for key, name in PROCESS_LABELS.items() if str(name) == wanted)
        return keys

    def describe(self, actor: str) -> str:
        """The name with the roles and the department: 管理者 デモ（システム管理者）."""
        user = self._users.get(actor)
        if user is None:
            return self.name(actor)
        what = [str(label(role)) for role in sorted(user.roles)]
        if user.department is not None:
            what.append(user.department.name)
        if not what:
            return user.display_name
        separator = pgettext("list separator", ", ")
        return str(_l("%(text)s (%(note)s)", text=user.display_name, note=separator.join(what)))


def find_events(audit_filter: AuditFilter, limit: int = MAX_EVENTS_SHOWN) -> list[AuditEvent]:
    return list(db.session.execute(audit_filter.query().limit(limit)).scalars())


def flag_unusual(audit_filter: AuditFilter) -> Flags:
    """Many personal-data views by one person, views out of office hours, and exports, in the filter's
    period (the last week when it has none). Counted by the database, so the page stays quick however
    long the trail grows; only personal-data views are read one by one, for their hour."""
    start = audit_filter.start or (clock.now() - DEFAULT_FLAG_PERIOD)
    in_period = [AuditEvent.occurred_at >= start]
    if audit_filter.end:
        in_period.append(AuditEvent.occurred_at < audit_filter.end)
    views = AuditEvent.action.in_(PERSONAL_DATA_ACTIONS)
    flags = Flags()
    flags.many_views = dict(
        db.session.execute(
            select(AuditEvent.actor, func.count())
            .where(views, *in_period)
            .group_by(AuditEvent.actor)
            .having(func.count() > MANY_VIEWS)
        ).all()
    )
    for event in db.session.execute(
        select(AuditEvent).where(views, *in_period).order_by(AuditEvent.occurred_at.desc()).limit(MAX_EVENTS_SHOWN)
    ).scalars():
        local = event.occurred_at.astimezone(JAPAN)
        if local.weekday() >= 5 or local.hour not in OFFICE_HOURS:
            flags.out_of_hours.append(event)
    flags.exports = dict(
        db.session.execute(
            select(AuditEvent.actor, func.count())
            .where(AuditEvent.action.endswith(EXPORT_SUFFIX), *in_period)
            .group_by(AuditEvent.actor)
        ).all()
    )
    return flags


def record_audit_review(start: datetime, end: datetime, reviewer: User, note: str, actor: Actor) -> AuditReview:
    """Mark a period of the audit trail as reviewed by ``reviewer``."""
    if end <= start:
        raise DomainError(_l("The end of the reviewed period must be after its start."), field="end")
    review = AuditReview(period_start=start, period_end=end, reviewed_by_id=reviewer.id, note=(note or "").strip())
    db.session.add(review)
    db.session.flush()
    record_event(actor, "audit.reviewed", review)
    return review


def recent_reviews(limit: int = 20) -> list[tuple[AuditReview, User]]:
    return list(
        db.session.execute(
            select(AuditReview, User)
            .join(User, User.id == AuditReview.reviewed_by_id)
            .order_by(AuditReview.reviewed_at.desc())
            .limit(limit)
        )
    )


CSV_HEADER = [
    "seq",
    "id",
    "occurred_at_utc",
    "actor",
    "action",
    "object_type",
    "object_id",
    "ip",
    "request_id",
    "detail",
    # For the people who read the file: the time in Japan, the actor's name and the event's name.
    "occurred_at",
    "actor_name",
    "event",
]


def export_rows(audit_filter: AuditFilter):
    """Rows for the CSV export; events hold identifiers and counts only, never personal data. The names of
    the last columns are those of the staff accounts, which the reviewer may see."""
    people = People()
    for event in db.session.execute(audit_filter.query().execution_options(yield_per=1000)).scalars():
        yield [
            event.seq,
            event.id,
            event.occurred_at.isoformat(),
            event.actor,
            event.action,
            event.object_type,
            event.object_id,
            event.ip,
            event.request_id,
            event.detail,
            japan_time(event.occurred_at),
            people.describe(event.actor),
            event_label(event.action),
        ]
