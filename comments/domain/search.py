"""Full-text search over submissions that works on Japanese, two-character words included.

Japanese has no spaces between words and many words are two characters long (意見, 暗号, 市民), which
SQLite's FTS5 trigram tokenizer cannot find. So the application writes each submission's text to
``submission_search.terms`` as overlapping character bigrams, and both databases index those as plain
space-separated words: SQLite through the FTS5 table ``submission_search_fts`` (unicode61 tokenizer),
PostgreSQL through a GIN index on ``to_tsvector('simple', terms)``.

The rule (``search_terms``), applied alike to the stored text and to what staff type in the search box:

1. NFKC-normalise (full-width ＰＤＦ becomes PDF, half-width ｶﾅ becomes カナ) and lower-case.
2. Split into runs of letters and digits (Unicode categories L* and N*); everything else (punctuation,
   spaces, symbols) separates runs and is dropped.
3. Each run of two or more characters becomes its overlapping bigrams (暗号化 -> 暗号 号化); a run of one
   character stays as that character. ASCII words are *not* kept whole as well: their bigrams already
   find them (pdf -> pd df), and one token kind keeps phrase positions simple.

A query matches when, for every run of the query, its bigrams appear consecutively in that order (a
phrase); runs separated by spaces or punctuation must all match, anywhere. A one-character query matches
that character alone or as the first character of a bigram (a prefix search), which finds it in most
places but not at the very end of a run: a known limit of bigram indexing.
"""

from __future__ import annotations

import logging
import unicodedata

from sqlalchemy import and_, bindparam, func, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite

from comments.domain.masking import masked
from comments.extensions import db
from comments.models import Submission, SubmissionSearch

log = logging.getLogger(__name__)
# Longest query we turn into a phrase: beyond this the search box is being misused, not searched.
MAX_QUERY_CHARS = 200


def _runs(value: str) -> list[str]:
    """The runs of letters and digits of ``value`` after NFKC and lower-casing."""
    value = unicodedata.normalize("NFKC", value).lower()
    runs: list[str] = []
    current: list[str] = []
    for char in value:
        if unicodedata.category(char)[0] in "LN":
            current.append(char)
        elif current:
            runs.append("".join(current))
            current = []
    if current:
        runs.append("".join(current))
    return runs


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def search_terms(value: str) -> str:
    """``value`` as space-separated overlapping character bigrams, by the rule in the module docstring."""
    return " ".join(" ".join(_bigrams(run)) for run in _runs(value))


_search_table = SubmissionSearch.__table__
# Two workers (or a worker and `flask search index`) may read the same unindexed submissions at once: the
# second one's row is skipped, never a UniqueViolation, and the primary key keeps each submission indexed
# exactly once. RETURNING says which rows this call wrote.
_INSERT_TERMS = {
    name: insert(_search_table)
    .on_conflict_do_nothing(index_elements=[_search_table.c.submission_id])
    .returning(_search_table.c.submission_id)
    for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
}
_UNINDEXED = (
    select(Submission.id, Submission.body, Submission.consultation_id, Submission.received_at)
    .outerjoin(SubmissionSearch, SubmissionSearch.submission_id == Submission.id)
    .where(SubmissionSearch.submission_id.is_(None))
    .order_by(Submission.id)
    .limit(bindparam("limit"))
)


def index_pending_submissions(limit: int = 500) -> int:
    """Write the search rows of submissions that have none yet; return how many this call wrote.

    The worker does this, not the request: indexing a 2 KB text as bigrams updates the FTS5 table or
    the GIN index with about a thousand terms, which would cost the citizen's submission a good part of
    its throughput. A submission is searchable within one worker interval of its receipt.

    Safe to run in several processes at once: a submission another one indexed meanwhile is skipped
    (ON CONFLICT DO NOTHING; on PostgreSQL the insert waits for the other transaction's row, then skips it).
    """
    rows = db.session.execute(_UNINDEXED, {"limit": limit}).all()
    if not rows:
        return 0
    written = db.session.execute(
        _INSERT_TERMS[db.session.get_bind().dialect.name],
        [
            {
                "submission_id": submission_id,
                "terms": _terms_of(submission_id, body),
                "consultation_id": consultation_id,
                "received_at": received_at,
            }
            for submission_id, body, consultation_id, received_at in rows
        ],
    )
    return len(written.all())


def _terms_of(submission_id: int, body: str) -> str:
    """The index terms of one body; a body the rule cannot read is indexed with no terms and logged, so one
    submission never stops the index of all the others (it stays in every list, only not found by words)."""
    try:
        # Bodies are masked on intake; masked again here, so no number reaches the index (R14).
        return search_terms(masked(body))
    except Exception:
        log.exception("submission %s could not be indexed for search; it is kept with no search terms", submission_id)
        return ""


def query_phrases(query: str) -> list[list[str]]:
    """The query as a list of phrases (one per run), each a list of bigrams; empty when nothing searchable."""
    return [_bigrams(run) for run in _runs(query[:MAX_QUERY_CHARS])]


def _fts5_query(phrases: list[list[str]]) -> str:
    parts = []
    for phrase in phrases:
        if len(phrase) == 1 and len(phrase[0]) == 1:
            parts.append('"' + phrase[0].replace('"', '""') + '"*')
        else:
            parts.append('"' + " ".join(phrase).replace('"', '""') + '"')
    return " AND ".join(parts)


def _tsquery(phrases: list[list[str]]) -> str:
    """A to_tsquery('simple', ...) string: every bigram of every phrase joined by & (and).

    Not <-> (followed by): the GIN index holds no positions, so PostgreSQL would recheck a phrase by
    computing to_tsvector again for every candidate row, hundreds of milliseconds on a million rows.
    The order is checked by ``_phrase_patterns`` instead. Each lexeme is single-quoted (quotes doubled),
    so nothing a user types is read as an operator.
    """

    def lexeme(term: str) -> str:
        return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"

    parts = []
    for phrase in phrases:
        if len(phrase) == 1 and len(phrase[0]) == 1:
            parts.append(lexeme(phrase[0]) + ":*")
        else:
            parts.extend(lexeme(term) for term in phrase)
    return " & ".join(parts)


def _phrase_patterns(phrases: list[list[str]]) -> list[str]:
    """LIKE patterns that hold when each phrase's bigrams follow each other in ``terms``.

    Tokens are at most two characters and separated by single spaces, so two adjacent characters in
    ``terms`` are always one whole token: the substring "暗号 号化" can only be the tokens 暗号, 号化 in a
    row. Terms hold letters and digits only; the escaping is for safety, not need.
    """
    patterns = []
    for phrase in phrases:
        joined = " ".join(phrase).replace("/", "//").replace("%", "/%").replace("_", "/_")
        patterns.append(f"%{joined}%")
    return patterns


def terms_match_clause(query: str, *, terms=None):
    """A condition on ``SubmissionSearch.terms`` alone that holds exactly when the text matches ``query``
    (PostgreSQL), or None when nothing is searchable.

    Used to walk the newest rows of an inbox in date order without the index (see domain/inbox.py): a
    LIKE over one row's terms costs microseconds. A one-character query matches a token that begins
    with it, as the index search does.
    """
    phrases = query_phrases(query)
    if not phrases:
        return None
    terms = SubmissionSearch.terms if terms is None else terms
    conditions = []
    for phrase, pattern in zip(phrases, _phrase_patterns(phrases), strict=True):
        if len(phrase) == 1 and len(phrase[0]) == 1:
            conditions.append(or_(terms.like(pattern[1:], escape="/"), terms.like("% " + pattern[1:], escape="/")))
        else:
            conditions.append(terms.like(pattern, escape="/"))
    return and_(*conditions)


def match_submission_ids(query: str):
    """A subquery of the ids of submissions whose text matches ``query``, for ``Submission.id.in_(...)``.

    Returns None when the query has nothing searchable in it (only punctuation or spaces): the caller
    then does not filter. On SQLite it asks the FTS5 table for the phrase. On PostgreSQL it asks
    ``to_tsvector('simple', terms) @@ to_tsquery('simple', 'b1 & b2 ...')`` in exactly the form of the
    GIN index's expression, so the index finds the rows holding every bigram without a recheck, and
    ``terms LIKE '%b1 b2 ...%'`` keeps those where they follow each other. For a common word that
    finds far too many rows to sort; domain/inbox.py first walks the newest rows with
    ``terms_match_clause`` and comes here only when that walk did not fill a page.
    """
    phrases = query_phrases(query)
    if not phrases:
        return None
    if db.session.get_bind().dialect.name == "sqlite":
        return text("SELECT rowid FROM submission_search_fts WHERE submission_search_fts MATCH :fts_query").bindparams(
            bindparam("fts_query", _fts5_query(phrases))
        )
    return select(SubmissionSearch.submission_id).where(_postgresql_match(phrases))


def search_match_condition(query: str):
    """The PostgreSQL condition on a ``SubmissionSearch`` row that holds exactly when its text matches
    ``query``, through the GIN index; None when nothing is searchable."""
    phrases = query_phrases(query)
    return _postgresql_match(phrases) if phrases else None


def _postgresql_match(phrases: list[list[str]]):
    terms = SubmissionSearch.terms
    return and_(
        func.to_tsvector(text("'simple'::regconfig"), terms).bool_op("@@")(
            func.to_tsquery(text("'simple'::regconfig"), _tsquery(phrases))
        ),
        *(terms.like(pattern, escape="/") for pattern in _phrase_patterns(phrases)),
    )
