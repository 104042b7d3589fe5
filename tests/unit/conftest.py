"""Unit tests need no database: the suite's per-test transaction (tests/conftest.py ``db_session``) is
replaced here by nothing, so these tests neither open a connection nor wait for the migrations."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def db_session():
    return None


@pytest.fixture
def plain_app_context():
    """An app context with no database behind it (an in-memory SQLite nobody migrates), for the domain
    functions that read a setting: the limits under which PDF and Word files are read, say."""
    from comments import create_app
    from config import TestingConfig

    with create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://").app_context():
        yield
