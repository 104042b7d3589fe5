"""An opinion holds the lock every other opinion waits for during its few statements alone.

On SQLite one writer at a time holds the database, from BEGIN IMMEDIATE to COMMIT; on PostgreSQL the
opinion's transaction holds its consultation's row in share mode from the statement that judges the period
(a close or an extension waits for it). Whatever the request does meanwhile delays every other opinion, so
checking the text, masking individual numbers and storing the files come first. Here the app runs on its own
database (real transactions, no test savepoints) and every statement, every masking and every file stored is
recorded with whether the lock was held at that moment.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import request
from flask_migrate import upgrade
from sqlalchemy import event

from comments import create_app
from comments.domain import intake
from comments.extensions import db
from comments.storage import blob_store
from config import TestingConfig
from tests import dbutil, factories
from tests.functional.helpers import post_comment

pytestmark = [pytest.mark.no_db_session]

# A valid individual number (R11's check digit), so the text and the file both have one to mask.
NUMBER = "6214 9832 0257"


@pytest.fixture
def app_and_slug(tmp_path):
    database_url = dbutil.create_database(tmp_path, "lockwindow")
    instance = Path(tmp_path) / "instance"
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=instance,
        ATTACHMENT_STORAGE=instance / "attachments",
        MAIL_PORT=1,
    )
    try:
        with app.app_context():
            upgrade()
            slug = factories.make_consultation().slug
            db.session.commit()
        yield app, slug
        with app.app_context():
            db.engine.dispose()
    finally:
        dbutil.drop_database(database_url)


def test_an_opinion_holds_the_write_lock_for_its_statements_alone(app_and_slug, monkeypatch):
    app, slug = app_and_slug
    lock = {"held": False}
    statements: list[tuple[bool, str]] = []
    steps: list[tuple[bool, str]] = []

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def seen(_connection, _cursor, statement, _parameters, _context, _executemany):
        words = " ".join(statement.split())
        if words.startswith("BEGIN IMMEDIATE") or "FOR SHARE" in words:
            lock["held"] = True
        statements.append((lock["held"], words[:60]))

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def released(_connection):
        lock["held"] = False

    real_mask = intake.mask_individual_numbers

    def mask_seen(text):
        steps.append((lock["held"], "mask"))
        return real_mask(text)

    monkeypatch.setattr(intake, "mask_individual_numbers", mask_seen)
    with app.app_context():
        store_class = type(blob_store())
    real_put = store_class.put

    def put_seen(self, data):
        steps.append((lock["held"], "store a file"))
        return real_put(self, data)

    monkeypatch.setattr(store_class, "put", put_seen)
    try:
        answer = post_comment(
            app.test_client(),
            SimpleNamespace(slug=slug),
            body=f"私の番号 {NUMBER} を書いてしまいました。",
            name="山田花子",
            number_acknowledged="1",
            files=[("memo.txt", "添付の覚え書き".encode())],
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        event.remove(engine, "commit", released)
        event.remove(engine, "rollback", released)

    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    assert ("store a file" in {step for _held, step in steps}) and ("mask" in {step for _held, step in steps})
    assert [step for held, step in steps if held] == [], "masking and storing files wait for no lock"
    locked = [words for held, words in statements if held]
    locked = [words for words in locked if not words.startswith("BEGIN")]
    assert [words.split(" (")[0] for words in locked[1:]] == [
        "INSERT INTO submissions",
        "INSERT INTO submitters",
        "INSERT INTO attachments",
        "INSERT INTO audit_events",
    ], locked
    assert locked[0].startswith("SELECT consultations.status"), locked


def test_an_opinion_without_files_reads_its_consultation_once_on_postgresql(app_and_slug):
    """Without a file the transaction lasts from the form's first read to the commit, so on PostgreSQL that
    read takes the period lock (FOR SHARE, which keeps out a close or an extension, never another opinion)
    and draws the receipt number, and the INSERTs follow with nothing read again. On SQLite the write lock
    still comes just before the INSERTs, and the period is read again under it."""
    app, slug = app_and_slug
    statements: list[tuple[bool, str]] = []
    lock = {"held": False}

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def seen(_connection, _cursor, statement, _parameters, _context, _executemany):
        if request.method != "POST":  # the GET that fetches the form's token
            return
        words = " ".join(statement.split())
        if words.startswith("BEGIN IMMEDIATE") or "FOR SHARE" in words:
            lock["held"] = True
        statements.append((lock["held"], words))

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def released(_connection):
        lock["held"] = False

    try:
        answer = post_comment(app.test_client(), SimpleNamespace(slug=slug), body="再開発計画に賛成します。")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        event.remove(engine, "commit", released)
        event.remove(engine, "rollback", released)

    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    locked = [words for held, words in statements if held and not words.startswith("BEGIN")]
    inserts = ["INSERT INTO submissions", "INSERT INTO submitters", "INSERT INTO audit_events"]
    assert [words.split(" (")[0] for words in locked[1:]] == inserts, locked
    if engine.dialect.name == "postgresql":
        assert locked[0].startswith("SELECT consultations.id"), locked
        assert "EXISTS" in locked[0] and locked[0].endswith("FOR SHARE OF consultations"), locked
        assert [words for _held, words in statements if words.startswith("SELECT")] == [locked[0]], statements
    else:
        assert locked[0].startswith("SELECT consultations.status"), locked
