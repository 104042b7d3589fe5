"""What the outbox holds, for operators (``flask outbox status``), and putting failed mail back in the queue
(``flask outbox retry``).

What an operator sees carries no personal data (R16, R44): a recipient is shown as ``t***@example.jp``,
every address in a server's answer likewise, and neither subjects nor bodies are shown at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from comments import clock
from comments.domain.audit import Actor, record_event
from comments.extensions import db
from comments.models import OutboxMessage, OutboxStatus

# Anything shaped like an address: what a mail server quotes back ("<taro@example.jp>: no such user").
_STOP = r"\s<>()\[\]{}\"',;:@"
_ADDRESS = re.compile(rf"([^{_STOP}])[^{_STOP}]*@([^{_STOP}]+)")


def mask_address(address: str | None) -> str:
    """``taro@example.jp`` as ``t***@example.jp``: enough to tell a typo in the domain, never whose it is."""
    if not address:
        return "-"
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}" if local else f"***@{domain}"


def mask_addresses(text: str | None) -> str:
    """``text`` with every address in it masked as ``mask_address`` does."""
    return _ADDRESS.sub(r"\1***@\2", text or "")


@dataclass(frozen=True)
class FailedMessage:
    """A message the worker gave up on, as an operator may see it."""

    id: int
    recipient: str  # masked
    attempts: int
    created_at: datetime
    reason: str  # masked


@dataclass
class OutboxState:
    """How many messages there are in each state, the oldest one not yet sent, and the newest failures."""

    counts: dict[str, int] = field(default_factory=dict)
    due_now: int = 0  # pending, due, and held by no worker
    in_flight: int = 0  # pending and leased to a worker now
    oldest_unsent_id: int | None = None
    oldest_unsent_at: datetime | None = None
    failed: list[FailedMessage] = field(default_factory=list)

    def age_of_oldest_unsent(self, now: datetime):
        return None if self.oldest_unsent_at is None else now - self.oldest_unsent_at


def outbox_state(*, failed_limit: int = 20) -> OutboxState:
    """Counts by status and the ``failed_limit`` newest failed messages (masked); reads, never writes."""
    now = clock.now()
    state = OutboxState(counts={status.value: 0 for status in OutboxStatus})
    for status, count in db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all():
        state.counts[OutboxStatus(status).value] = count
    pending = OutboxMessage.status == OutboxStatus.pending
    leased = OutboxMessage.leased_until.is_not(None) & (OutboxMessage.leased_until >= now)
    state.in_flight = db.session.scalar(select(func.count()).select_from(OutboxMessage).where(pending, leased))
    state.due_now = db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(pending, OutboxMessage.next_attempt_at <= now, ~leased)
    )
    oldest = db.session.execute(
        select(OutboxMessage.id, OutboxMessage.created_at)
        .where(pending)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(1)
    ).first()
    if oldest is not None:
        state.oldest_unsent_id, state.oldest_unsent_at = oldest
    rows = db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.failed)
        .order_by(OutboxMessage.id.desc())
        .limit(failed_limit)
    ).scalars()
    state.failed = [
        FailedMessage(
            id=row.id,
            recipient=mask_address(row.to_address),
            attempts=row.attempts,
            created_at=row.created_at,
            reason=mask_addresses(row.last_error) or "-",
        )
        for row in rows
    ]
    return state


@dataclass
class RetryResult:
    """What ``retry_failed`` did: the ids put back, and (for ``ids`` given) those it could not take."""

    retried: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    not_failed: dict[int, str] = field(default_factory=dict)  # id -> its status

    @property
    def refused(self) -> bool:
        return bool(self.unknown or self.not_failed)


def retry_failed(ids: Iterable[int] | None, actor: Actor) -> RetryResult:
    """Put failed messages back in the queue, due now, with a fresh count of attempts: the ``ids`` given, or
    every failed message when ``ids`` is None. An id that names no message, or one that has not failed,
    refuses the whole request and changes nothing. Each message put back is an audit event. The caller
    commits."""
    result = RetryResult()
    query = select(OutboxMessage).order_by(OutboxMessage.id).with_for_update()
    if ids is None:
        rows = list(db.session.execute(query.where(OutboxMessage.status == OutboxStatus.failed)).scalars())
    else:
        wanted = sorted(set(ids))
        rows = list(db.session.execute(query.where(OutboxMessage.id.in_(wanted))).scalars())
        found = {row.id for row in rows}
        result.unknown = [message_id for message_id in wanted if message_id not in found]
        result.not_failed = {row.id: row.status.value for row in rows if row.status != OutboxStatus.failed}
        if result.refused:
            return result
    now = clock.now()
    for row in rows:
        record_event(actor, "outbox.retried", row, attempts_before=row.attempts)
        row.status, row.attempts, row.next_attempt_at, row.leased_until = OutboxStatus.pending, 0, now, None
        result.retried.append(row.id)
    return result
