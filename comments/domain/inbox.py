"""The staff inbox: every submission of a consultation, filtered, searched and paged; and the one rule of
who may read them and the audited reveal of a submitter's personal data (R26, R45)."""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, func, select, tuple_

from comments.domain.audit import Actor, record_event
from comments.domain.clock import JAPAN
from comments.domain.search import match_submission_ids, terms_match_clause
from comments.models import (
    Attachment,
    Channel,
    Consultation,
    Submission,
    SubmissionSearch,
    Submitter,
    SubmitterKind,
    User,
)
from comments.permissions import Role

PAGE_SIZE = 50
EXCERPT_CHARS = 80


class InvalidCursorError(ValueError):
    """The ``after`` cursor was not one this service handed out."""


def can_read_submissions(user: User, consultation: Consultation) -> bool:
    """Whether ``user`` may see the submissions of ``consultation`` (object-level authorisation, R26).

    The secretariat sees every consultation. Department staff see only the consultations of their own
    department. Until consultations carry a department id, the rule compares the consultation's
    free-text ``department`` with the name of the user's department, exactly (after trimming spaces):
    a consultation whose department is spelt differently is hidden from its staff, never shown to others.
    """
    roles = user.roles
    if Role.secretariat in roles:
        return True
    if Role.department_staff in roles and user.department is not None:
        return (consultation.department or "").strip() == (user.department.name or "").strip() != ""
    return False


@dataclass(frozen=True)
class InboxFilters:
    """What staff narrowed the inbox to; None means "any"."""

    channel: Channel | None = None
    submitter_kind: SubmitterKind | None = None
    late: bool | None = None
    has_attachments: bool | None = None
    received_from: date | None = None  # Japan dates, inclusive
    received_to: date | None = None
    query: str = ""


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox: no personal data, an excerpt of the text."""

    id: int
    receipt_number: str
    received_at: datetime
    channel: Channel
    submitter_kind: SubmitterKind
    excerpt: str
    attachment_count: int
    late: bool


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None


def encode_cursor(received_at: datetime, submission_id: int) -> str:
    """An opaque token for "after this row" in (received_at desc, id desc) order."""
    raw = f"{received_at.astimezone(UTC).isoformat()}|{submission_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (received_at, id) a cursor stands for; InvalidCursorError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        stamp, _, number = raw.partition("|")
        received_at = datetime.fromisoformat(stamp)
        submission_id = int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise InvalidCursorError(cursor) from error
    if received_at.tzinfo is None:
        raise InvalidCursorError(cursor)
    return received_at, submission_id


def _japan_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=JAPAN).astimezone(UTC)


_ATTACHMENT_COUNT = (
    select(func.count(Attachment.id)).where(Attachment.submission_id == Submission.id).correlate(Submission)
).scalar_subquery()


# How many of the newest rows a search on PostgreSQL reads in date order before it asks the index.
SEARCH_WALK_ROWS = 2000
# The furthest a second walk may read: past it the index costs less (about 10 µs a row either way).
SEARCH_WALK_MAX_ROWS = 8000


def inbox_statement(
    consultation_id: int,
    filters: InboxFilters,
    *,
    after: str | None = None,
    limit: int = PAGE_SIZE,
    walk: int | None = None,
):
    """The SELECT of one inbox page (one more row than ``limit``, to know whether a next page exists).

    With ``walk``, the search is made on the ``walk`` newest rows only (after the other filters and the
    cursor), by checking each row's terms: see ``list_inbox``.
    """
    statement = select(
        Submission.id,
        Submission.receipt_number,
        Submission.received_at,
        Submission.channel,
        Submission.submitter_kind,
        func.substr(Submission.body, 1, EXCERPT_CHARS).label("excerpt"),
        _ATTACHMENT_COUNT.label("attachment_count"),
        Submission.late,
    ).where(Submission.consultation_id == consultation_id)
    if filters.channel is not None:
        statement = statement.where(Submission.channel == filters.channel)
    if filters.submitter_kind is not None:
        statement = statement.where(Submission.submitter_kind == filters.submitter_kind)
    if filters.late is not None:
        statement = statement.where(Submission.late.is_(filters.late))
    if filters.has_attachments is not None:
        has_any = exists().where(Attachment.submission_id == Submission.id)
        statement = statement.where(has_any if filters.has_attachments else ~has_any)
    if filters.received_from is not None:
        statement = statement.where(Submission.received_at >= _japan_midnight(filters.received_from))
    if filters.received_to is not None:
        statement = statement.where(Submission.received_at < _japan_midnight(filters.received_to + timedelta(days=1)))
    if after:
        received_at, submission_id = decode_cursor(after)
        statement = statement.where(tuple_(Submission.received_at, Submission.id) < tuple_(received_at, submission_id))
    order = (Submission.received_at.desc(), Submission.id.desc())
    if filters.query and walk is not None:
        clause = terms_match_clause(filters.query)
        if clause is not None:
            newest = statement.with_only_columns(Submission.id).order_by(*order).limit(walk).subquery()
            statement = (
                statement.join(newest, newest.c.id == Submission.id)
                .join(SubmissionSearch, SubmissionSearch.submission_id == Submission.id)
                .where(clause)
            )
    elif filters.query:
        matching = match_submission_ids(filters.query)
        if matching is not None:
            statement = statement.where(Submission.id.in_(matching))
    return statement.order_by(*order).limit(limit + 1)


def list_inbox(
    session, consultation: Consultation, filters: InboxFilters, *, after: str | None = None, limit: int = PAGE_SIZE
) -> InboxPage:
    """One page of the consultation's submissions, newest first, keyset-paged by (received_at, id).

    Keyset rather than OFFSET: the millionth row costs what the first does, and a submission arriving
    while staff page through does not shift the pages.
    """
    rows = None
    if filters.query and session.get_bind().dialect.name == "postgresql":
        # A common word matches thousands of rows: asking the GIN index for all of them and sorting them
        # by date costs seconds. Its first page is found quickly by reading the newest rows in date
        # order. If those hold a full page, it is the right page (any match further on is older). If
        # they hold a few matches, the word's frequency says how far a second walk must read; if that is
        # too far, or they hold none, the word is rare and the index is the quick way.
        walk = SEARCH_WALK_ROWS
        while rows is None:
            walked = session.execute(
                inbox_statement(consultation.id, filters, after=after, limit=limit, walk=walk)
            ).all()
            if len(walked) > limit:
                rows = [InboxRow(**row._asdict()) for row in walked]
            elif walk > SEARCH_WALK_ROWS or not walked:
                break
            else:
                walk = math.ceil((limit + 1) * walk / len(walked) * 1.3)
                if walk > SEARCH_WALK_MAX_ROWS:
                    break
    if rows is None:
        rows = [
            InboxRow(**row._asdict())
            for row in session.execute(inbox_statement(consultation.id, filters, after=after, limit=limit))
        ]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].received_at, rows[-1].id)
    return InboxPage(rows=rows, next_cursor=next_cursor)


def reveal_personal_data(submission: Submission, user: User, actor: Actor) -> Submitter | None:
    """Give ``user`` the submitter's personal data and record that they saw it (R45).

    The audit event names the submission and who asked, never the data itself. The caller has already
    checked the permission and ``can_read_submissions``; the caller commits.
    """
    record_event(actor, "personal_data.viewed", submission, user_id=user.id, receipt_number=submission.receipt_number)
    return submission.submitter
