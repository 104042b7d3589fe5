"""Two staff triaging one consultation at once: each item gets its own number (PostgreSQL, where begin_write
takes no lock and the domain's row lock on the consultation is what keeps the numbers apart)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from comments.domain.audit import Actor
from comments.domain.triage import ItemDraft, add_item
from comments.extensions import db
from comments.models import ConsultationStatus, Item, ItemKind, Submission, User
from comments.permissions import Role
from comments.transactions import begin_write
from tests import dbutil
from tests.factories import make_consultation, make_submission, make_user

pytestmark = [
    pytest.mark.no_db_session,
    pytest.mark.skipif(
        dbutil.backend() != "postgresql",
        reason="SQLite has one writer at a time (BEGIN IMMEDIATE), so two item creations cannot overlap",
    ),
]
ACTOR = Actor("test")
TEXT = "委託先の監督について意見します。"


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


def test_two_concurrent_item_creations_in_one_consultation_get_distinct_numbers(app, database_url):
    with app.app_context():
        # Closed, as a consultation is while it is triaged; an open one left behind would take other tests' mail.
        consultation = make_consultation(status=ConsultationStatus.closed)
        first = make_submission(consultation, body=TEXT)
        second = make_submission(consultation, body=TEXT)
        clerk = make_user(Role.secretariat)
        db.session.commit()
        ids = {"first": first.id, "second": second.id, "clerk": clerk.id, "consultation": consultation.id}
    observer = create_engine(database_url)
    second_started = threading.Event()
    numbers, errors = {}, []

    def triage(name: str, *, hold_until_the_other_waits: bool) -> None:
        try:
            with app.app_context():
                begin_write()
                if not hold_until_the_other_waits:
                    second_started.set()
                item = add_item(
                    db.session.get(Submission, ids[name]),
                    ItemDraft(start=0, end=len(TEXT), kind=ItemKind.opinion, gist=name),
                    created_by=db.session.get(User, ids["clerk"]),
                    actor=ACTOR,
                )
                numbers[name] = item.number
                if hold_until_the_other_waits:
                    # Keep the transaction open until the other creation is blocked inside the database.
                    second_started.wait(5)
                    deadline = time.monotonic() + 5
                    while not _someone_waits_for_a_lock(observer) and time.monotonic() < deadline:
                        time.sleep(0.02)
                db.session.commit()
        except Exception as error:  # reported below, with the other thread's outcome
            errors.append(f"{name}: {type(error).__name__}: {error}")

    holder = threading.Thread(target=triage, args=("first",), kwargs={"hold_until_the_other_waits": True})
    holder.start()
    while "first" not in numbers and holder.is_alive():
        time.sleep(0.01)
    latecomer = threading.Thread(target=triage, args=("second",), kwargs={"hold_until_the_other_waits": False})
    latecomer.start()
    holder.join(20)
    latecomer.join(20)
    observer.dispose()
    assert errors == []
    assert sorted(numbers.values()) == [1, 2]
    with app.app_context():
        stored = db.session.scalars(
            db.select(Item.number).where(Item.consultation_id == ids["consultation"]).order_by(Item.number)
        ).all()
    assert stored == [1, 2]
