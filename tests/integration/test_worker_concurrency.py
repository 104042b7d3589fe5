"""Two workers side by side never collide (issue 13, item 4): each submission is indexed once, the audit trail
is sealed into one unbroken chain, and a consultation's campaigns are grouped without a unique violation,
with two of each job running at once in threads that each have their own app context, session and
database connection, against hundreds of rows. `flask search index` run twice at once used to raise
UniqueViolation on PostgreSQL."""

from __future__ import annotations

import logging
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, delete, func, select, text

from comments.domain import search
from comments.domain.audit import SYSTEM, record_event, verify_chain
from comments.domain.campaigns import mark_similar_texts
from comments.domain.search import index_pending_submissions
from comments.extensions import db
from comments.models import AuditEvent, ConsultationStatus, SimilarText, SubmissionSearch
from comments.worker import flag_campaigns, index_search, seal_audit
from tests import dbutil
from tests.factories import make_consultation, make_submission

pytestmark = [
    pytest.mark.no_db_session,
    pytest.mark.skipif(
        dbutil.backend() != "postgresql",
        reason="SQLite has one writer at a time (BEGIN IMMEDIATE), so two workers' writes cannot overlap; "
        "this runs on PostgreSQL",
    ),
]
CAMPAIGN = "監視カメラの映像の保存期間を三十日以内に短くしてください。"


def in_threads(app, **jobs) -> tuple[dict, list[str]]:
    """Run each job in a thread of its own, in an app context (so a session and connection) of its own;
    return what each returned and every exception, as "name: Type: message"."""
    results, errors = {}, []

    def run(name, job):
        try:
            with app.app_context():
                results[name] = job()
        except Exception as error:
            errors.append(f"{name}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=run, args=(name, job)) for name, job in jobs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a worker never finished"
    return results, errors


def submissions(app, count: int, *, body=lambda n: f"第{n}の意見です。保存期間について。") -> tuple[int, list[int]]:
    """A closed consultation (an open one left behind would take other tests' mail) with ``count`` committed
    submissions, none of them indexed yet."""
    with app.app_context():
        consultation = make_consultation(status=ConsultationStatus.closed)
        ids = [make_submission(consultation, body=body(n)).id for n in range(count)]
        db.session.execute(delete(SubmissionSearch).where(SubmissionSearch.submission_id.in_(ids)))
        db.session.commit()
        return consultation.id, ids


def leave_tidy(app, consultation_id: int) -> None:
    """Index and group what a test left, so that later tests of the session find no work of this one's."""
    with app.app_context():
        index_pending_submissions(limit=100_000)
        mark_similar_texts(consultation_id)
        db.session.commit()


def test_two_indexers_at_once_index_each_submission_exactly_once(app, monkeypatch):
    consultation_id, ids = submissions(app, 300)
    # Both indexers read the same unindexed submissions before either writes: the first to write commits
    # its batch, and the other's insert of the same rows waited for it and must skip them.
    both_have_read = threading.Barrier(2, timeout=20)
    first_call = threading.local()
    real_terms_of = search._terms_of

    def terms_once_both_have_read(submission_id, body):
        if not getattr(first_call, "done", False):
            first_call.done = True
            both_have_read.wait()
        return real_terms_of(submission_id, body)

    try:
        with monkeypatch.context() as patched:
            patched.setattr(search, "_terms_of", terms_once_both_have_read)
            results, errors = in_threads(
                app,
                first=lambda: index_search(sys.maxsize, batch=100),
                second=lambda: index_search(sys.maxsize, batch=100),
            )
        assert errors == []
        assert results["first"] + results["second"] == len(ids), "each submission counted once, by one of them"
        with app.app_context():
            rows = db.session.execute(
                select(SubmissionSearch.submission_id, SubmissionSearch.terms).where(
                    SubmissionSearch.submission_id.in_(ids)
                )
            ).all()
        assert sorted(submission_id for submission_id, _terms in rows) == sorted(ids)
        assert all(terms for _id, terms in rows)
    finally:
        leave_tidy(app, consultation_id)


def test_two_sealers_at_once_make_one_unbroken_chain(app):
    with app.app_context():
        consultation = make_consultation(status=ConsultationStatus.closed)
        for number in range(600):
            record_event(SYSTEM, "test.concurrent_seal", consultation, number=number)
        db.session.commit()
        consultation_id = consultation.id
        pending = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None)))
    start_together = threading.Barrier(2, timeout=20)

    def sealer():
        start_together.wait()
        return seal_audit(sys.maxsize, batch=25)

    try:
        results, errors = in_threads(app, first=sealer, second=sealer)
        assert errors == []
        assert results["first"] + results["second"] == pending, "every pending event sealed once, by one of them"
        with app.app_context():
            left = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None)))
            seqs = db.session.scalars(
                select(AuditEvent.seq).where(
                    AuditEvent.action == "test.concurrent_seal", AuditEvent.object_id == str(consultation_id)
                )
            ).all()
            report = verify_chain()
        assert left == 0
        assert len(seqs) == len(set(seqs)) == 600
        assert report.intact, [str(problem) for problem in report.problems]
    finally:
        leave_tidy(app, consultation_id)


def _someone_waits_for_a_lock(engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def test_a_second_grouping_of_the_same_consultation_waits_for_the_first(app, database_url):
    """The first grouping holds its transaction open until the second is seen waiting inside the database;
    without the consultation's grouping lock the second would insert the same keys and fail once the first
    commits."""
    consultation_id, ids = submissions(app, 120, body=lambda n: CAMPAIGN if n % 2 else f"別の意見その{n}です。")
    observer = create_engine(database_url)
    first_has_grouped = threading.Event()
    seen_waiting = []

    def first():
        written = mark_similar_texts(consultation_id)
        first_has_grouped.set()
        deadline = time.monotonic() + 10
        while not _someone_waits_for_a_lock(observer) and time.monotonic() < deadline:
            time.sleep(0.02)
        seen_waiting.append(_someone_waits_for_a_lock(observer))
        db.session.commit()
        return written

    def second():
        first_has_grouped.wait(10)
        written = mark_similar_texts(consultation_id)
        db.session.commit()
        return written

    try:
        results, errors = in_threads(app, first=first, second=second)
        assert errors == []
        assert seen_waiting == [True], "the second grouping waited for the first"
        assert results == {"first": 120, "second": 120}
        with app.app_context():
            rows = db.session.execute(
                select(SimilarText.submission_id, SimilarText.first_id).where(
                    SimilarText.consultation_id == consultation_id
                )
            ).all()
        assert sorted(submission_id for submission_id, _first in rows) == sorted(ids), "one row each"
        firsts = dict(rows)
        campaign = ids[1::2]
        assert {firsts[submission_id] for submission_id in campaign} == {campaign[0]}, "the 60 copies: one group"
    finally:
        observer.dispose()
        leave_tidy(app, consultation_id)


def test_two_workers_flagging_campaigns_at_once_fail_nowhere(app, caplog):
    consultations = [
        submissions(app, 40, body=lambda n: CAMPAIGN if n % 4 else f"意見{n}")[0] for _consultation in range(3)
    ]
    start_together = threading.Barrier(2, timeout=20)

    def worker():
        start_together.wait()
        return flag_campaigns(10)

    try:
        with caplog.at_level(logging.ERROR, logger="comments.worker"):
            results, errors = in_threads(app, first=worker, second=worker)
        assert errors == []
        assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
        assert results["first"] + results["second"] >= len(consultations)
        with app.app_context():
            grouped = db.session.execute(
                select(SimilarText.consultation_id, func.count())
                .where(SimilarText.consultation_id.in_(consultations))
                .group_by(SimilarText.consultation_id)
            ).all()
        assert dict(grouped) == dict.fromkeys(consultations, 40)
    finally:
        for consultation_id in consultations:
            leave_tidy(app, consultation_id)
