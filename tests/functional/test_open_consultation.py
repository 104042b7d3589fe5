"""A consultation opens only with a 30-day period or a recorded, shown reason (R01)."""

from datetime import date

import pytest
from sqlalchemy import select

from comments.domain import DomainError
from comments.domain.audit import Actor
from comments.domain.consultations import open_consultation
from comments.domain.deadlines import end_of_day, start_of_day
from comments.extensions import db
from comments.models import AuditEvent, ConsultationStatus
from tests.factories import make_consultation

ACTOR = Actor("secretariat-test")


def test_twenty_nine_days_cannot_open_without_a_reason():
    consultation = make_consultation(
        status=ConsultationStatus.draft,
        opens_at=start_of_day(date(2099, 6, 22)),
        closes_at=end_of_day(date(2099, 7, 20)),
    )
    with pytest.raises(DomainError) as raised:
        open_consultation(consultation, ACTOR)
    assert "29" in str(raised.value.message)
    assert consultation.status == ConsultationStatus.draft


def test_shortened_period_opens_with_its_reason_shown(client):
    reason = "法改正の施行日に間に合わせる必要があるため"
    consultation = make_consultation(
        status=ConsultationStatus.draft,
        opens_at=start_of_day(date(2020, 6, 22)),
        closes_at=end_of_day(date(2099, 7, 1)),
        shortening_reason=reason,
    )
    open_consultation(consultation, ACTOR)
    db.session.flush()
    assert consultation.status == ConsultationStatus.open
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "consultation.opened")).scalars().all()
    assert events[-1].detail == {"shortened": True}
    assert reason in client.get(f"/consultations/{consultation.slug}").get_data(as_text=True)


def test_thirty_days_open_and_an_open_one_cannot_open_again():
    consultation = make_consultation(
        status=ConsultationStatus.draft,
        opens_at=start_of_day(date(2099, 6, 22)),
        closes_at=end_of_day(date(2099, 7, 21)),
    )
    open_consultation(consultation, ACTOR)
    with pytest.raises(DomainError):
        open_consultation(consultation, ACTOR)
