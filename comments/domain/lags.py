"""How far behind the worker's jobs are, for /readyz, /metrics and the administrator's service status page.

Each job leaves rows waiting for it, so its lag is read off those rows: how many wait and since when. One
count and one minimum per job, each on an indexed column or a small set, so a probe every few seconds and a
scrape every fifteen cost the database little:

* mail: ``outbox_messages`` by ``status`` (index ``ix_outbox_messages_due`` on status, next_attempt_at),
  the oldest pending message's ``created_at``; mail that failed for good is counted apart;
* audit: events with no ``seq`` yet (the unique index on ``seq`` holds the NULLs, on both databases, so
  only the unsealed rows are read), the oldest one's ``occurred_at``;
* search: submissions without a ``submission_search`` row, the oldest one's ``created_at``. This one is an
  anti-join over every submission (each probes the search table's primary key): a city's consultations
  hold thousands of submissions, milliseconds; a partial index would make it constant if that ever grows;
* the committee's mail quarantine (``inbound_messages.status``, indexed): messages waiting for the
  secretariat. That is people's work, not the worker's, so it has no threshold and is never "over".

Nothing here names a person or reads a text: counts and instants only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from comments import clock
from comments.extensions import db
from comments.models import (
    AuditEvent,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    OutboxStatus,
    Submission,
    SubmissionSearch,
)

# The jobs with a threshold, in the order the pages list them, and the setting holding each threshold.
THRESHOLD_SETTINGS = {"mail": "LAG_MAIL_SECONDS", "audit": "LAG_AUDIT_SECONDS", "search": "LAG_SEARCH_SECONDS"}


@dataclass(frozen=True)
class Backlog:
    """The rows one job has yet to handle: how many, since when, and whether that is too long."""

    job: str
    count: int
    oldest_at: datetime | None
    threshold_seconds: int | None
    measured_at: datetime

    @property
    def age_seconds(self) -> float:
        """Seconds the oldest waiting row has waited; 0 when nothing waits."""
        if self.oldest_at is None:
            return 0.0
        return max(0.0, (self.measured_at - self.oldest_at).total_seconds())

    @property
    def over_threshold(self) -> bool:
        return self.threshold_seconds is not None and self.count > 0 and self.age_seconds > self.threshold_seconds


@dataclass(frozen=True)
class Lags:
    """Every job's backlog at one instant, and what the worker last finished."""

    mail: Backlog
    audit: Backlog
    search: Backlog
    failed_mail: int
    quarantined_mail: int
    last_mail_sent_at: datetime | None
    last_sealed_event_at: datetime | None
    measured_at: datetime

    @property
    def backlogs(self) -> tuple[Backlog, ...]:
        return (self.mail, self.audit, self.search)

    @property
    def over_threshold(self) -> list[str]:
        """The jobs whose oldest waiting row waited longer than allowed: the worker is stopped or failing."""
        return [backlog.job for backlog in self.backlogs if backlog.over_threshold]


def _count_and_oldest(statement) -> tuple[int, datetime | None]:
    count, oldest = db.session.execute(statement).one()
    return int(count or 0), oldest


def measure_lags(*, with_last_work: bool = False) -> Lags:
    """Each job's backlog now, with its threshold from the settings (``THRESHOLD_SETTINGS``).

    ``with_last_work`` also reads when mail was last sent and which audit event was sealed last (the
    service status page's signs of life); the probes and the scrape leave that out, as it reads more rows.
    """
    now = clock.now()
    config = current_app.config

    def backlog(job: str, statement) -> Backlog:
        count, oldest = _count_and_oldest(statement)
        threshold = config.get(THRESHOLD_SETTINGS[job])
        return Backlog(job, count, oldest, int(threshold) if threshold is not None else None, now)

    mail = backlog(
        "mail",
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.status == OutboxStatus.pending),
    )
    audit = backlog("audit", select(func.count(), func.min(AuditEvent.occurred_at)).where(AuditEvent.seq.is_(None)))
    search = backlog(
        "search",
        select(func.count(), func.min(Submission.created_at))
        .select_from(Submission)
        .outerjoin(SubmissionSearch, SubmissionSearch.submission_id == Submission.id)
        .where(SubmissionSearch.submission_id.is_(None)),
    )
    failed = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.failed)
    )
    quarantined = db.session.scalar(
        select(func.count()).select_from(InboundMessage).where(InboundMessage.status == InboundStatus.quarantined)
    )
    last_sent = last_sealed = None
    if with_last_work:
        last_sent = db.session.scalar(
            select(func.max(OutboxMessage.sent_at)).where(OutboxMessage.status == OutboxStatus.sent)
        )
        last_sealed = db.session.scalar(
            select(AuditEvent.occurred_at).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq.desc()).limit(1)
        )
    return Lags(
        mail=mail,
        audit=audit,
        search=search,
        failed_mail=int(failed or 0),
        quarantined_mail=int(quarantined or 0),
        last_mail_sent_at=last_sent,
        last_sealed_event_at=last_sealed,
        measured_at=now,
    )
