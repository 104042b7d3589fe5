"""Unit tests need no database: the suite's per-test transaction (tests/conftest.py ``db_session``) is
replaced here by nothing, so these tests neither open a connection nor wait for the migrations."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def db_session():
    return None
