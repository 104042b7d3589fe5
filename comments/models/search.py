"""The staff's Japanese search: the bigram rows of each submission's text, and the searches staff made,
kept under an opaque id so that what they searched for never travels in an address (R37)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comments import clock
from comments.extensions import db
from comments.models.types import UTCDateTime


class SubmissionSearch(db.Model):
    """The searchable form of a submission's text: overlapping character bigrams, space-separated.

    Japanese has no spaces between words, and two-character words (意見, 暗号) are common, so the text is
    indexed as bigrams on both databases: SQLite through an FTS5 table over this one (kept in step by
    triggers, see the migration), PostgreSQL through a GIN index on to_tsvector('simple', terms).
    """

    __tablename__ = "submission_search"
    __table_args__ = (Index("ix_submission_search_newest", "consultation_id", "received_at", "submission_id"),)

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    terms: Mapped[str] = mapped_column(Text)
    # Copied from the submission (which never changes), so that a search can find, filter and order its
    # matches by date in this table alone and join only the page it shows (see domain/inbox.py).
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboxSearch(db.Model):
    """The text one member of staff searched an inbox for, named by a random id in the inbox's address.

    A search may be a person's name or a number: in the address it would reach every access log, proxy log
    and browser history on the way. The row is the searcher's own and is deleted after a few hours.
    """

    __tablename__ = "inbox_searches"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # secrets.token_urlsafe(32)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now, index=True)


class SimilarText(db.Model):
    """Which submissions of a consultation say the same thing in (nearly) the same words: a campaign (R58).

    Written by the worker for every submission (``domain/campaigns.py``): ``first_id`` is the earliest
    submission of its group of identical or near-identical texts and ``size`` how many the group holds;
    a submission like no other has ``first_id`` None and ``size`` 1. Duplicates are flagged, never merged
    or dropped: every submission stays a submission, counted and answered.
    """

    __tablename__ = "similar_texts"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    first_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    size: Mapped[int] = mapped_column(default=1)
