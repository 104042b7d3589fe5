"""Factories that flush and never commit."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from comments.extensions import db
from comments.models import Consultation, ConsultationStatus, Section

_sequence = itertools.count(1)


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
