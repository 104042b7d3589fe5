"""Campaigns: the same opinion sent by many, in identical or near-identical words (R58).

Identical and near-identical texts are flagged, never merged or dropped: each stays a submission of its
own, is counted and is answered. The worker groups a consultation's submissions whenever new ones have
arrived (``mark_similar_texts``), with the same measure as the suggestions of same-purport groups
(``similarity.suggest_groups``: rapidfuzz's Indel similarity of the normalised texts, 0.8 or more), and
writes one ``SimilarText`` row per submission; the inbox shows each group's size beside its submissions and
the published results say how many opinions came in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, cast, delete, func, insert, select

from comments.domain.similarity import suggest_groups
from comments.extensions import db
from comments.models import SimilarText, Submission


def consultations_with_new_submissions(limit: int) -> list[int]:
    """The consultations with a submission not yet grouped, oldest first."""
    rows = db.session.execute(
        select(Submission.consultation_id)
        .outerjoin(SimilarText, SimilarText.submission_id == Submission.id)
        .where(SimilarText.submission_id.is_(None))
        .group_by(Submission.consultation_id)
        .order_by(func.min(Submission.id))
        .limit(limit)
    )
    return [consultation_id for (consultation_id,) in rows]


# The first key of PostgreSQL's two-key advisory locks that serialise the grouping of one consultation (the
# second key is its id); "camp" in ASCII. The two-key lock space never meets the one-key one of the audit seal.
GROUPING_LOCK_KEY = 0x63616D70


def lock_grouping(consultation_id: int, *, wait: bool = True) -> bool:
    """Take this consultation's grouping lock until the transaction ends; return whether it is held.

    Two workers grouping the same consultation at once would each delete the rows they can see and insert
    the same primary keys, and the second would fail on the first's. On PostgreSQL the second waits (or,
    with ``wait=False``, is told at once that another holds it, and can move on to another consultation);
    on SQLite, BEGIN IMMEDIATE already keeps every other writer out, so it is always held. The lock is
    taken before anything is read, so the second reads what the first committed.
    """
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return True
    lock = func.pg_advisory_xact_lock if wait else func.pg_try_advisory_xact_lock
    # Both keys cast to integer: the two-key form takes int4s, and an int8 parameter would not match it.
    keys = cast(GROUPING_LOCK_KEY, Integer), cast(consultation_id, Integer)
    acquired = session.execute(select(lock(*keys))).scalar()
    return True if wait else bool(acquired)


def mark_similar_texts(consultation_id: int) -> int:
    """Group every submission of the consultation again and write each one's group; return how many were
    written. The caller commits. A whole consultation at once, since a new text can join two groups.
    Holds the consultation's grouping lock (``lock_grouping``), so two workers never write it at once."""
    lock_grouping(consultation_id)
    texts = db.session.execute(
        select(Submission.id, Submission.body).where(Submission.consultation_id == consultation_id)
    ).all()
    groups = {}
    for suggestion in suggest_groups((submission_id, body) for submission_id, body in texts):
        first = min(suggestion.item_ids)
        for submission_id in suggestion.item_ids:
            groups[submission_id] = (first, len(suggestion.item_ids))
    db.session.execute(delete(SimilarText).where(SimilarText.consultation_id == consultation_id))
    if texts:
        db.session.execute(
            insert(SimilarText),
            [
                {
                    "submission_id": submission_id,
                    "consultation_id": consultation_id,
                    "first_id": groups.get(submission_id, (None, 1))[0],
                    "size": groups.get(submission_id, (None, 1))[1],
                }
                for submission_id, _body in texts
            ],
        )
    return len(texts)


def similar_counts(submission_ids: list[int]) -> dict[int, int]:
    """For each of these submissions that has identical or near-identical siblings, its group's size."""
    if not submission_ids:
        return {}
    rows = db.session.execute(
        select(SimilarText.submission_id, SimilarText.size).where(
            SimilarText.submission_id.in_(submission_ids), SimilarText.first_id.is_not(None)
        )
    )
    return dict(rows.all())


@dataclass(frozen=True)
class CampaignCount:
    """Of the submissions counted, how many came in the same (or nearly the same) words, in how many groups."""

    submissions: int
    groups: int


def campaign_count(counted_submission_ids) -> CampaignCount:
    """``counted_submission_ids``: a select of the ids that count (the results count only those)."""
    rows = db.session.execute(
        select(SimilarText.first_id, func.count())
        .where(SimilarText.submission_id.in_(counted_submission_ids), SimilarText.first_id.is_not(None))
        .group_by(SimilarText.first_id)
        .having(func.count() > 1)
    ).all()
    return CampaignCount(submissions=sum(count for _first, count in rows), groups=len(rows))
