"""Writing the audit trail and sealing it into a hash chain. Callers pass identifiers and counts, never
personal data or comment text."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC

from sqlalchemy import bindparam, func, or_, select, update

from comments import clock
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


# --- The hash chain (R43) ---------------------------------------------------------------------------
#
# record_event stays one INSERT on the citizen's submission path; the chain is built afterwards by a
# sealer (the outbox worker, or `flask audit seal`), which takes the pending events in id order and gives
# each the next sequence number, the previous sealed event's hash and its own hash. Verification walks the
# sealed events in sequence order and recomputes every hash, so an edit, a deletion or an insertion among
# sealed events shows. An unkeyed hash cannot stop someone who rewrites the whole chain from the tampered
# event onwards, nor a deletion of the newest events: that needs the head (last seq and hash) kept
# somewhere the database's writers cannot reach (see "The published head" below).

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number will do, as long as nothing else takes this advisory lock: it serialises sealers
# on PostgreSQL so two of them never give out the same seq or chain onto the same predecessor.
SEAL_LOCK_KEY = 0x61756469745F6368  # "audit_ch" in ASCII
BATCH_SIZE = 1000

_events = AuditEvent.__table__
_CONTENT_COLUMNS = (
    _events.c.id,
    _events.c.occurred_at,
    _events.c.actor,
    _events.c.action,
    _events.c.object_type,
    _events.c.object_id,
    _events.c.ip,
    _events.c.request_id,
    _events.c.detail,
)
_SEAL_EVENT = (
    update(_events)
    .where(_events.c.id == bindparam("event_id"))
    .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash"))
)


def event_hash(row, seq: int, prev_hash: str) -> str:
    """SHA-256 (hex) over a canonical serialisation of one event's content, its seq and prev_hash.

    Canonical means the same bytes on SQLite and PostgreSQL, today and in ten years: a UTC ISO instant
    with microseconds, JSON with sorted keys and no optional whitespace, UTF-8 without escaping. The row
    id is left out: it is the database's bookkeeping, and the seq says where the event stands.
    """
    occurred_at = row.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    content = {
        "occurred_at": occurred_at,
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "ip": row.ip,
        "request_id": row.request_id,
        "detail": row.detail,
        "seq": seq,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def seal_events(limit: int | None = None) -> int:
    """Seal up to ``limit`` pending events (all when None) in id order; return how many were sealed.

    Sealers must not overlap, or two would chain onto the same predecessor: on PostgreSQL the
    transaction takes an advisory lock before it reads the last sealed event (held until commit or
    rollback); on SQLite the transaction of a CLI command or worker began with BEGIN IMMEDIATE and so
    already excludes every other writer. The unique seq is the backstop either way. The caller commits;
    a worker should pass a limit and commit between batches, so that on SQLite the write lock is held
    for one batch at a time and citizens' submissions wait milliseconds, not the whole backlog.
    """
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(SEAL_LOCK_KEY)))
    last = session.execute(
        select(_events.c.seq, _events.c.hash).where(_events.c.seq.is_not(None)).order_by(_events.c.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
    sealed = 0
    while limit is None or sealed < limit:
        batch = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - sealed)
        rows = session.execute(
            select(*_CONTENT_COLUMNS).where(_events.c.seq.is_(None)).order_by(_events.c.id).limit(batch)
        ).all()
        if not rows:
            break
        params = []
        for row in rows:
            seq += 1
            digest = event_hash(row, seq, prev_hash)
            params.append({"event_id": row.id, "seq": seq, "prev_hash": prev_hash, "hash": digest})
            prev_hash = digest
        session.execute(_SEAL_EVENT, params)
        sealed += len(rows)
    return sealed


@dataclass(frozen=True)
class ChainProblem:
    """One place where the chain is broken, named by seq and event id, and what that means."""

    seq: int | None
    event_id: int | None  # None: the event is gone
    description: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "unsealed"
        which = f"event id {self.event_id}" if self.event_id is not None else "no such event"
        return f"{where} ({which}): {self.description}"


@dataclass
class ChainReport:
    """What ``verify_chain`` found: how many events are sealed and pending, the head, and the problems."""

    sealed: int = 0
    unsealed: int = 0
    head_seq: int | None = None
    head_hash: str | None = None
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


# --- The published head ------------------------------------------------------------------------------
#
# The chain alone cannot show a deletion of its newest events, nor a rewrite of everything after some
# event: the head (the last sealed seq and its hash) must be kept where the database's writers cannot
# reach. The worker appends it once a day to AUDIT_HEAD_FILE and mails it to AUDIT_HEAD_MAIL_TO;
# `flask audit head` prints it; `flask audit verify --head` checks the chain against what was published.

HEAD_PREFIX = "comments-audit-head"
_HEAD_LINE = re.compile(rf"{HEAD_PREFIX} seq=(\d+) hash=([0-9a-f]{{64}})(?: at=(\S+))?")


@dataclass(frozen=True)
class Head:
    """One published head: the last sealed event's seq and hash, and when it was read."""

    seq: int
    hash: str
    at: str = ""

    def line(self) -> str:
        return f"{HEAD_PREFIX} seq={self.seq} hash={self.hash} at={self.at}"


def current_head() -> Head | None:
    """The last sealed event's seq and hash (None before the first seal), with the time read."""
    last = db.session.execute(
        select(_events.c.seq, _events.c.hash).where(_events.c.seq.is_not(None)).order_by(_events.c.seq.desc()).limit(1)
    ).first()
    if last is None:
        return None
    return Head(last.seq, last.hash, clock.now().astimezone(UTC).isoformat(timespec="seconds"))


def parse_heads(text: str) -> list[Head]:
    """Every head line in ``text`` (a file of published heads, a pasted mail); other lines are ignored."""
    return [Head(int(match[1]), match[2], match[3] or "") for match in _HEAD_LINE.finditer(text)]


def verify_chain(heads: Iterable[Head] = ()) -> ChainReport:
    """Walk the sealed events in seq order, recompute each hash and check each link; report every break.

    The walk is one streamed query (``yield_per``), so memory stays flat on millions of rows and, being
    one statement, it sees one consistent snapshot even while a sealer commits. Each kind of tampering
    shows as its own problem: an edited event no longer matches its hash; a deleted event leaves a gap
    in seq; an inserted or re-ordered event has a prev_hash that is not its predecessor's hash (or a hash
    that no longer matches, if seq was changed to make room). Pending events are counted, not judged:
    ids are handed out before commit, so an event may commit, and be sealed, after a higher id.
    """
    session = db.session
    report = ChainReport()
    published = {head.seq: head for head in heads}
    expected_seq, expected_prev = 1, GENESIS_HASH
    sealed_rows = session.execute(
        select(*_CONTENT_COLUMNS, _events.c.seq, _events.c.prev_hash, _events.c.hash)
        .where(_events.c.seq.is_not(None))
        .order_by(_events.c.seq)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for row in sealed_rows:
        report.sealed += 1
        if row.seq != expected_seq:
            missing = f"seq {expected_seq}" if row.seq == expected_seq + 1 else f"seq {expected_seq} to {row.seq - 1}"
            report.problems.append(
                ChainProblem(row.seq, row.id, f"{missing} missing before it: sealed events were deleted")
            )
        elif row.prev_hash != expected_prev:
            report.problems.append(
                ChainProblem(
                    row.seq,
                    row.id,
                    "its prev_hash is not the hash of the event before it: an event was inserted, removed or moved",
                )
            )
        if row.hash != event_hash(row, row.seq, row.prev_hash):
            report.problems.append(
                ChainProblem(row.seq, row.id, "its content no longer matches its hash: the event was edited")
            )
        head = published.pop(row.seq, None)
        if head is not None and head.hash != row.hash:
            report.problems.append(
                ChainProblem(
                    row.seq,
                    row.id,
                    f"its hash is not the one published{' at ' + head.at if head.at else ''}: the chain was "
                    "rewritten from here or before",
                )
            )
        expected_seq, expected_prev = row.seq + 1, row.hash
    for head in sorted(published.values(), key=lambda head: head.seq):
        report.problems.append(
            ChainProblem(
                head.seq,
                None,
                f"a head was published{' at ' + head.at if head.at else ''} with this seq, but the chain ends "
                f"at {expected_seq - 1}: the newest sealed events were deleted",
            )
        )
    if report.sealed:
        report.head_seq, report.head_hash = expected_seq - 1, expected_prev
    pending = _events.c.seq.is_(None)
    report.unsealed = session.execute(select(func.count()).select_from(_events).where(pending)).scalar_one()
    stripped = session.execute(
        select(_events.c.id)
        .where(pending, or_(_events.c.hash.is_not(None), _events.c.prev_hash.is_not(None)))
        .order_by(_events.c.id)
    ).scalars()
    for event_id in stripped:
        report.problems.append(
            ChainProblem(None, event_id, "it has a hash but no seq: a sealed event's seq was removed")
        )
    return report
