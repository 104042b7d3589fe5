"""Throwaway test databases: a SQLite file, or a fresh PostgreSQL database created and dropped per run.

The suite runs on SQLite by default; ``TEST_DATABASE=postgresql`` (set by ``make test``'s second pass)
runs it on the server named by ``TEST_DATABASE_URL``. Without a reachable server those tests are
skipped with a message that says so, unless ``REQUIRE_POSTGRES=1`` makes that an error.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql://127.0.0.1:5432/postgres"


def backend() -> str:
    return "postgresql" if os.environ.get("TEST_DATABASE", "sqlite") == "postgresql" else "sqlite"


def server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL


def postgres_unreachable_reason() -> str | None:
    """None when the PostgreSQL server answers; otherwise why not, for the skip message."""
    import psycopg

    url = make_url(server_url())
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {url.render_as_string(hide_password=True)} is not reachable ({error}).".strip()


def _libpq(url, database: str | None = None) -> str:
    parts = {
        "host": url.host or "127.0.0.1",
        "port": url.port or 5432,
        "dbname": database or url.database or "postgres",
    }
    if url.username:
        parts["user"] = url.username
    if url.password:
        parts["password"] = url.password
    return " ".join(f"{key}={value}" for key, value in parts.items())


def create_database(tmp_dir: Path, label: str) -> str:
    """A new empty database for this run; returns its SQLAlchemy URL."""
    if backend() == "sqlite":
        return f"sqlite:///{tmp_dir / (label + '.sqlite3')}"
    import psycopg

    url = make_url(server_url())
    name = f"comments_{label}_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(_libpq(url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drop a database made by ``create_database`` (a SQLite file goes with its temp folder)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return
    import psycopg

    with psycopg.connect(_libpq(url, "postgres"), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
