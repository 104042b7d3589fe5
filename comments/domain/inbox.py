"""The staff inbox: every submission of a consultation, filtered, searched and paged, and the audited reveal
of a submitter's personal data (R45). Who may read a consultation's submissions is a permission for that
consultation: ``user.can(Permission.submission_read, consultation)`` (its department's staff, R26)."""

from __future__ import annotations

import base64
import binascii
import math
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, exists, func, select, tuple_

from comments import clock
from comments.clock import JAPAN
from comments.domain.audit import Actor, record_event
from comments.domain.campaigns import similar_counts
from comments.domain.masking import masked
from comments.domain.search import match_submission_ids, search_match_condition, terms_match_clause
from comments.extensions import db
from comments.models import (
    Attachment,
    Channel,
    Consultation,
    InboxSearch,
    Submission,
    SubmissionSearch,
    Submitter,
    SubmitterKind,
    User,
)

PAGE_SIZE = 50
EXCERPT_CHARS = 80


class InvalidCursorError(ValueError):
    """The ``after`` cursor was not one this service handed out."""


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
    # How many submissions (this one included) say the same in identical or near-identical words (R58);
    # 0 when none does, or before the worker has looked.
    similar: int = 0


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
# The furthest the walks may read in all. A walked row costs about 2.5 µs (the index on the search rows,
# read backwards, and one heap row); the index search costs 6 to 20 µs per match, so walking 20,000
# rows (about 50 ms) still beats asking the index for a word in 1 % of a million submissions.
SEARCH_WALK_MAX_ROWS = 20000


def _date_and_cursor(received_at_column, id_column, filters: InboxFilters, after: str | None) -> list:
    """The conditions of the date filters and the keyset cursor, on either table's columns."""
    conditions = []
    if filters.received_from is not None:
        conditions.append(received_at_column >= _japan_midnight(filters.received_from))
    if filters.received_to is not None:
        conditions.append(received_at_column < _japan_midnight(filters.received_to + timedelta(days=1)))
    if after:
        received_at, submission_id = decode_cursor(after)
        conditions.append(tuple_(received_at_column, id_column) < tuple_(received_at, submission_id))
    return conditions


def _submission_conditions(filters: InboxFilters) -> list:
    """The conditions of the filters that only a submission's own row can judge (not the text, not the date)."""
    conditions = []
    if filters.channel is not None:
        conditions.append(Submission.channel == filters.channel)
    if filters.submitter_kind is not None:
        conditions.append(Submission.submitter_kind == filters.submitter_kind)
    if filters.late is not None:
        conditions.append(Submission.late.is_(filters.late))
    if filters.has_attachments is not None:
        has_any = exists().where(Attachment.submission_id == Submission.id)
        conditions.append(has_any if filters.has_attachments else ~has_any)
    return conditions


def _needs_only_search_rows(filters: InboxFilters) -> bool:
    """Whether every filter can be judged on a search row (the text, the date, the cursor)."""
    return (
        filters.channel is None
        and filters.submitter_kind is None
        and filters.late is None
        and filters.has_attachments is None
    )


def _search_rows_page(consultation_id: int, filters: InboxFilters, *, after, limit: int, walk: int | None):
    """The ids of one page of matches, found, ordered and limited in ``submission_search`` alone (PostgreSQL).

    Search rows carry their submission's consultation and arrival instant, so neither the walk through
    the newest rows nor the index search touches ``submissions`` for a row that is not on the page: the
    walk reads the index on (consultation_id, received_at, submission_id) backwards and one heap row per
    step, the index search sorts its matches by the row's own date. The caller joins the page.
    """
    search = SubmissionSearch
    rows = select(search.submission_id, search.received_at).where(search.consultation_id == consultation_id)
    rows = rows.where(*_date_and_cursor(search.received_at, search.submission_id, filters, after))
    order = (search.received_at.desc(), search.submission_id.desc())
    if walk is not None:
        newest = rows.add_columns(search.terms).order_by(*order).limit(walk).subquery()
        clause = terms_match_clause(filters.query, terms=newest.c.terms)
        if clause is None:
            return None
        return (
            select(newest.c.submission_id)
            .where(clause)
            .order_by(newest.c.received_at.desc(), newest.c.submission_id.desc())
            .limit(limit + 1)
        )
    condition = search_match_condition(filters.query)
    if condition is None:
        return None
    return rows.with_only_columns(search.submission_id).where(condition).order_by(*order).limit(limit + 1)


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
    ).where(Submission.consultation_id == consultation_id, *_submission_conditions(filters))
    statement = statement.where(*_date_and_cursor(Submission.received_at, Submission.id, filters, after))
    order = (Submission.received_at.desc(), Submission.id.desc())
    if filters.query and _needs_only_search_rows(filters) and db.session.get_bind().dialect.name == "postgresql":
        page = _search_rows_page(consultation_id, filters, after=after, limit=limit, walk=walk)
        if page is not None:
            statement = statement.where(Submission.id.in_(page))
    elif filters.query and walk is not None:
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


def _walk_boundary(session, consultation_id: int, filters: InboxFilters, after: str | None, walk: int) -> str | None:
    """A cursor just past the ``walk`` newest search rows the walk read, or None when there are fewer.

    Read from the index on (consultation_id, received_at, submission_id) alone (an index-only scan).
    """
    search = SubmissionSearch
    boundary = session.execute(
        select(search.received_at, search.submission_id)
        .where(search.consultation_id == consultation_id)
        .where(*_date_and_cursor(search.received_at, search.submission_id, filters, after))
        .order_by(search.received_at.desc(), search.submission_id.desc())
        .offset(walk - 1)
        .limit(1)
    ).first()
    return encode_cursor(*boundary) if boundary else None


def _walk_for_matches(session, consultation_id: int, filters: InboxFilters, *, after, limit: int):
    """The page found by reading the newest rows in date order, or None when the index is the quicker way.

    A common word matches thousands of rows: asking the GIN index for all of them and sorting them by
    date costs seconds. Its first page is found quickly by reading the newest rows in date order. If
    those hold a full page, it is the right page (any match further on is older). If they hold a few
    matches, the word's frequency so far says how much further to read, with a margin; when only search
    rows are read, each further walk starts where the last one stopped, otherwise one longer walk starts
    again from the top. Past ``SEARCH_WALK_MAX_ROWS``, or when the first walk found nothing, the word is
    rare and the index is the quick way.
    """
    walk = SEARCH_WALK_ROWS
    found = session.execute(inbox_statement(consultation_id, filters, after=after, limit=limit, walk=walk)).all()
    if not _needs_only_search_rows(filters):
        if found and len(found) <= limit:
            walk += _further(limit, len(found), walk)
            if walk > SEARCH_WALK_MAX_ROWS:
                return None
            found = session.execute(
                inbox_statement(consultation_id, filters, after=after, limit=limit, walk=walk)
            ).all()
        return [InboxRow(**row._asdict()) for row in found] if len(found) > limit else None
    position, read = after, walk
    while len(found) <= limit:
        if not found:
            return None
        position = _walk_boundary(session, consultation_id, filters, position, walk)
        if position is None:
            break  # every row there is has been read: what was found is all there is
        walk = _further(limit, len(found), read)
        if read + walk > SEARCH_WALK_MAX_ROWS:
            return None
        found += session.execute(
            inbox_statement(consultation_id, filters, after=position, limit=limit - len(found), walk=walk)
        ).all()
        read += walk
    return [InboxRow(**row._asdict()) for row in found]


def _further(limit: int, found: int, read: int) -> int:
    """How many more rows to read for the rest of a page, at the rate found so far, with a margin.

    One and a half times the estimate and at least 500 rows: a walk that falls just short of the page
    costs one more boundary read and walk, far less than the index search it would otherwise end in.
    """
    return max(500, math.ceil((limit + 1 - found) * read / found * 1.5))


def list_inbox(
    session, consultation: Consultation, filters: InboxFilters, *, after: str | None = None, limit: int = PAGE_SIZE
) -> InboxPage:
    """One page of the consultation's submissions, newest first, keyset-paged by (received_at, id).

    Keyset rather than OFFSET: the millionth row costs what the first does, and a submission arriving
    while staff page through does not shift the pages.
    """
    rows = None
    if filters.query and session.get_bind().dialect.name == "postgresql":
        rows = _walk_for_matches(session, consultation.id, filters, after=after, limit=limit)
    if rows is None:
        rows = [
            InboxRow(**row._asdict())
            for row in session.execute(inbox_statement(consultation.id, filters, after=after, limit=limit))
        ]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].received_at, rows[-1].id)
    similar = similar_counts([row.id for row in rows])
    rows = [replace(row, similar=similar.get(row.id, 0)) for row in rows]
    return InboxPage(rows=rows, next_cursor=next_cursor)


# The inbox counts its matches up to this many and says "more than" past it: an exact count of a common word
# in a million submissions would read every match, where the page itself reads 50.
COUNT_LIMIT = 1_000


def count_inbox(session, consultation: Consultation, filters: InboxFilters, *, limit: int = COUNT_LIMIT) -> int:
    """How many submissions of the consultation the filters and the search match, exactly up to ``limit``; a
    number over ``limit`` means "more than ``limit``". The same matches as ``list_inbox``'s pages.

    On PostgreSQL a search whose other filters a search row can judge is counted as ``list_inbox`` finds its
    page: first in the newest search rows, by their terms, which settles a common word (over ``limit``
    matches there) or a small inbox (all of it read) in milliseconds; a rarer word in a larger inbox is
    counted through the GIN index (``_count_search_rows``).
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    if filters.query and postgresql and _needs_only_search_rows(filters):
        counted = _count_search_rows(session, consultation.id, filters, limit=limit)
        if counted is not None:
            return counted
    matches = select(Submission.id).where(
        Submission.consultation_id == consultation.id,
        *_submission_conditions(filters),
        *_date_and_cursor(Submission.received_at, Submission.id, filters, None),
    )
    matching = match_submission_ids(filters.query) if filters.query else None
    if matching is not None:
        matches = matches.where(Submission.id.in_(matching))
    return _count_of(session, matches.limit(limit + 1))


def _count_search_rows(session, consultation_id: int, filters: InboxFilters, *, limit: int) -> int | None:
    """The count of a search in ``submission_search`` alone (PostgreSQL), or None when nothing is searchable.

    The ``SEARCH_WALK_ROWS`` newest rows are read first, by their terms. They settle it when they hold more
    than ``limit`` matches, or are all the rows there are. When their rate of matches promises more than
    ``limit`` within ``SEARCH_WALK_MAX_ROWS`` rows, the walk goes on that far (it stops at ``limit + 1``
    matches). Otherwise the word is rare and the GIN index counts it, reading few matches.
    """
    search = SubmissionSearch
    in_range = (
        search.consultation_id == consultation_id,
        *_date_and_cursor(search.received_at, search.submission_id, filters, None),
    )

    def walk(rows: int) -> int:
        newest = (
            select(search.terms)
            .where(*in_range)
            .order_by(search.received_at.desc(), search.submission_id.desc())
            .limit(rows)
            .subquery()
        )
        # Stops reading as soon as it has found one more than the limit.
        return _count_of(session, select(newest.c.terms).where(clause(newest.c.terms)).limit(limit + 1))

    def clause(terms):
        return terms_match_clause(filters.query, terms=terms)

    if clause(SubmissionSearch.terms) is None:
        return None
    found = walk(SEARCH_WALK_ROWS)
    if found > limit:
        return found
    # Whether the walk read every row there is (from the index alone).
    if _count_of(session, select(search.submission_id).where(*in_range).limit(SEARCH_WALK_ROWS)) < SEARCH_WALK_ROWS:
        return found
    if found * SEARCH_WALK_MAX_ROWS > limit * SEARCH_WALK_ROWS:
        found = walk(SEARCH_WALK_MAX_ROWS)
        if found > limit:
            return found
    return _count_of(
        session, select(search.submission_id).where(*in_range, search_match_condition(filters.query)).limit(limit + 1)
    )


def _count_of(session, statement) -> int:
    return session.scalar(select(func.count()).select_from(statement.subquery()))


def reveal_personal_data(submission: Submission, user: User, actor: Actor) -> Submitter | None:
    """Give ``user`` the submitter's personal data and record that they saw it (R45).

    The audit event names the submission and who asked, never the data itself. The caller has already
    checked ``user.can(Permission.personal_data_read, consultation)``; the caller commits.
    """
    record_event(actor, "personal_data.viewed", submission, user_id=user.id, receipt_number=submission.receipt_number)
    return submission.submitter


# --- Searches kept under an opaque id (R37) -----------------------------------------------------------

# How long a search's text is kept: a working day. An inbox address with an older id shows no search.
SEARCH_KEPT = timedelta(hours=12)
_SEARCH_ID = re.compile(r"[A-Za-z0-9_-]+")


def save_search(user: User, consultation: Consultation, query: str) -> InboxSearch:
    """Keep ``query`` (individual numbers masked) under a new random id, for the inbox's address to name
    instead of the text; the user's searches older than ``SEARCH_KEPT`` go."""
    forget_old_searches()
    search = InboxSearch(
        id=secrets.token_urlsafe(32), user_id=user.id, consultation_id=consultation.id, query=masked(query.strip())
    )
    db.session.add(search)
    db.session.flush()
    return search


def saved_search(search_id: str, user: User, consultation: Consultation) -> str | None:
    """The text of the user's own search of this inbox, or None when the id is unknown, another's or old."""
    # The ids ``save_search`` gives are URL-safe base64; anything else (a NUL, which PostgreSQL refuses to
    # compare) names no search.
    search_id = (search_id or "")[:43]
    search = db.session.get(InboxSearch, search_id) if _SEARCH_ID.fullmatch(search_id) else None
    if (
        search is None
        or search.user_id != user.id
        or search.consultation_id != consultation.id
        or clock.now() - search.created_at > SEARCH_KEPT
    ):
        return None
    return search.query


def forget_old_searches() -> int:
    """Delete every search older than ``SEARCH_KEPT``; return how many."""
    return db.session.execute(delete(InboxSearch).where(InboxSearch.created_at < clock.now() - SEARCH_KEPT)).rowcount
