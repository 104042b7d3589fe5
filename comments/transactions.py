"""How transactions begin on SQLite, and how a request that reads a lot before it writes keeps the
write lock short.

SQLite lets one writer at a time hold the database. A deferred transaction (plain BEGIN) that read
first and then tries to write fails at once with "database is locked" if another writer committed in
between, so every transaction that may write starts with BEGIN IMMEDIATE and queues on busy_timeout
instead: by default anything but a GET or HEAD request, and every CLI command. A view that validates a
large form before writing one row calls ``read_before_write()`` first and ``begin_write()`` just before
it writes, so the lock is held for the write alone and two workers can validate at the same time.
PostgreSQL needs none of this: row locks and MVCC do the work, and both helpers do nothing there.
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import event, inspect, select
from sqlalchemy.engine import Engine

from comments.extensions import db

BEGIN_OPTION = "sqlite_begin"
_installed = False


def install_sqlite_hooks() -> None:
    """WAL, foreign keys, busy_timeout and the BEGIN policy above, on every SQLite connection."""
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection, _record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            # pysqlite's own transaction handling is off so SQLAlchemy's BEGIN and savepoints are the real ones.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    @event.listens_for(Engine, "begin")
    def _on_begin(connection):
        if connection.dialect.name != "sqlite":
            return
        mode = connection.get_execution_options().get(BEGIN_OPTION)
        if mode is None:
            read_only = has_request_context() and request.method in ("GET", "HEAD")
            mode = "DEFERRED" if read_only else "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}")


def _on_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def read_before_write() -> None:
    """Start this request's transaction without the write lock; call before the request touches the database."""
    if _on_sqlite() and not db.session().in_transaction():
        db.session.connection(execution_options={BEGIN_OPTION: "DEFERRED"})


def begin_write() -> None:
    """End the reading transaction and take the write lock now.

    Objects read so far keep their values (they are not expired, which would cost a query each): what
    the write decides on, it must read again inside the write transaction, as accept_submission does.
    """
    if _on_sqlite():
        session = db.session()
        expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire_on_commit
        session.connection(execution_options={BEGIN_OPTION: "IMMEDIATE"})


def end_transaction() -> None:
    """End the transaction this session has open, before work that needs no database and may take seconds
    (reading an uploaded file: comments/sandbox.py), so that no lock is held meanwhile, nor a snapshot on
    SQLite or an idle transaction on PostgreSQL. Call it before anything is written: it commits.

    Objects read so far keep their values, as in ``begin_write``. On SQLite a deferred transaction begins
    again at once, as ``read_before_write`` begins one: it holds nothing until its first query, and what the
    request reads afterwards (a page shown again) then takes no write lock; ``begin_write`` still takes it.
    """
    session = db.session()
    if session.in_transaction():
        expire_on_commit, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire_on_commit
    read_before_write()


def lock_for_change(*objects) -> None:
    """Read ``objects`` again inside the write transaction, locked against every other writer.

    On PostgreSQL each row is read ``FOR UPDATE``, so two requests that change the same object take turns,
    as every writer does on SQLite under BEGIN IMMEDIATE; on both, the objects are refreshed, so the change
    is decided on what the other request committed, not on what was read before the lock. Rows are locked
    in one order (table, then id), so two requests locking the same rows cannot deadlock.
    """
    session = db.session()
    on_postgresql = session.get_bind().dialect.name == "postgresql"
    for obj in sorted(objects, key=lambda o: (type(o).__tablename__, inspect(o).identity or ())):
        model = type(obj)
        (key_column,) = inspect(model).primary_key
        statement = (
            select(model).where(key_column == inspect(obj).identity[0]).execution_options(populate_existing=True)
        )
        if on_postgresql:
            statement = statement.with_for_update(of=model)
        session.execute(statement)


def lock_row(model, row_id) -> None:
    """Lock one row against every other writer until the transaction ends, without loading it: on PostgreSQL
    ``SELECT id ... FOR UPDATE``; on SQLite nothing, as BEGIN IMMEDIATE already keeps every other writer out.

    For a rule that reads before it writes across rows (the next number in a consultation): two transactions
    that lock the same row first take turns, so the second reads what the first wrote.
    """
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        return
    (key_column,) = inspect(model).primary_key
    session.execute(select(key_column).where(key_column == row_id).with_for_update())
