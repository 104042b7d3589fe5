"""The schema the migrations build is the schema the models describe; SQLite runs as the design says."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from comments.extensions import db
from comments.schema import include_name
from tests import dbutil


def test_migrations_match_the_models(db_session):
    connection = db_session.connection()
    context = MigrationContext.configure(connection, opts={"include_name": include_name})
    differences = compare_metadata(context, db.metadata)
    assert differences == []


@pytest.mark.skipif(dbutil.backend() != "sqlite", reason="SQLite pragmas")
def test_sqlite_uses_wal_and_enforces_foreign_keys(db_session):
    connection = db_session.connection()
    assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_enum_and_period_constraints_hold_in_the_database(db_session):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(
            text(
                "INSERT INTO consultations (slug, title, affair, system_name, evaluation_group, summary,"
                " status, opens_at, closes_at, require_name, require_contact, created_at) VALUES"
                " ('x', 't', 'a', '', '', '', 'bogus', '2015-06-22', '2015-07-22', false, false, '2015-06-01')"
            )
        )
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(
            text(
                "INSERT INTO consultations (slug, title, affair, system_name, evaluation_group, summary,"
                " status, opens_at, closes_at, require_name, require_contact, created_at) VALUES"
                " ('y', 't', 'a', '', '', '', 'open', '2015-07-22', '2015-06-22', false, false, '2015-06-01')"
            )
        )
