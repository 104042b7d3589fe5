"""Two workers never claim the same outbox row (R49): FOR UPDATE SKIP LOCKED on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, delete
from sqlalchemy.orm import Session

from comments import clock
from comments.domain.outbox import enqueue_mail
from comments.extensions import db
from comments.mail.sender import claim_due_messages, due_messages_query
from comments.models import OutboxMessage
from tests import dbutil

pytestmark = [
    pytest.mark.no_db_session,
    pytest.mark.skipif(
        dbutil.backend() != "postgresql",
        reason="SQLite has one writer at a time (BEGIN IMMEDIATE), so claims cannot overlap; this runs on PostgreSQL",
    ),
]


def test_a_second_worker_skips_rows_the_first_holds(app, database_url):
    with app.app_context():
        ids = [enqueue_mail(to=f"w{i}@example.jp", subject="s", body="b") for i in range(6)]
        db.session.commit()
        ids = [row.id for row in ids]
    engine = create_engine(database_url)
    try:
        # An app context: the rows' sealed recipients open with the app's keys (comments/crypto.py).
        with app.app_context(), Session(engine) as first_worker:
            held = [row.id for row in first_worker.execute(due_messages_query(clock.now(), 3)).scalars()]
            assert held == ids[:3]
            # While the first worker's transaction holds its rows, the second claims only the others.
            with app.app_context():
                second = claim_due_messages(10)
            assert set(second) == set(ids[3:])
            first_worker.rollback()
        with app.app_context():
            # The second worker's lease still holds its rows; the first worker's rows are free again.
            assert set(claim_due_messages(10)) == set(ids[:3])
    finally:
        engine.dispose()
        with app.app_context():
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
            db.session.commit()
