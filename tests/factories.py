"""Factories that flush and never commit."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
from datetime import UTC, datetime, timedelta

from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, Section

_sequence = itertools.count(1)
APP = None  # set by the session's app fixture; factories that need settings run in its app context
# True while a factory runs in an app context of its own: it still uses the test body's session.
IN_FACTORY: contextvars.ContextVar[bool] = contextvars.ContextVar("in_factory", default=False)


@contextlib.contextmanager
def _app_context():
    from flask import has_app_context

    if has_app_context():
        yield
        return
    token = IN_FACTORY.set(True)
    try:
        with APP.app_context():
            yield
    finally:
        IN_FACTORY.reset(token)


def make_consultation(**overrides) -> Consultation:
    """An open consultation of 31 days around now, with two sections."""
    number = next(_sequence)
    now = datetime.now(UTC)
    values = {
        "slug": f"test-consultation-{number}",
        "title": f"評価書（案）テスト{number}",
        "affair": "後期高齢者医療事務",
        "department": "健康保険課",
        "status": ConsultationStatus.open,
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
    }
    values.update(overrides)
    consultation = Consultation(**values)
    consultation.sections.append(Section(position=1, number="I-1", heading="基本情報", page=3, body="本文1"))
    consultation.sections.append(
        Section(position=2, number="III-2", heading="特定個人情報の入手", page=21, body="本文2")
    )
    db.session.add(consultation)
    db.session.flush()
    return consultation


DEFAULT_PASSWORD = "correct-horse-battery-staple-42"


def make_user(*roles, email: str | None = None, totp: bool | None = None, password: str = DEFAULT_PASSWORD):
    """An active account with ``roles``; those that need a second factor get one already set up."""

    with _app_context():
        return _make_user(roles, email=email, totp=totp, password=password)


def _make_user(roles, *, email, totp, password):
    from comments.domain.accounts import create_user, enable_totp, new_totp_secret
    from comments.domain.audit import Actor
    from comments.models import Department
    from comments.permissions import Role

    number = next(_sequence)
    roles = set(roles)
    department = None
    if Role.department_staff in roles:
        department = Department(name=f"テスト課{number}")
        db.session.add(department)
    user = create_user(
        email=email or f"user{number}@example.jp",
        display_name=f"テスト利用者{number}",
        password=password,
        roles=roles,
        actor=Actor("test"),
        department=department,
    )
    if totp if totp is not None else user.needs_second_factor:
        enable_totp(user, new_totp_secret(), Actor("test"))
    db.session.flush()
    return user
