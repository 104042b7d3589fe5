"""Reading the audit trail: filters, the unusual patterns the committee asked to be watched, and the
record that somebody reviewed a period (logs nobody reads are worthless)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from comments import clock
from comments.clock import JAPAN
from comments.domain import DomainError
from comments.domain.audit import Actor, record_event
from comments.extensions import db
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
            query = query.where(AuditEvent.actor == self.actor)
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
]


def export_rows(audit_filter: AuditFilter):
    """Rows for the CSV export; events hold identifiers and counts only, never personal data."""
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
        ]
