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
    assert events[-1].detail["shortened"] is True
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


def test_opened_after_its_planned_day_the_period_counts_from_the_real_day(frozen_clock):
    """Issue 12, item 4: planned 2027-01-04 to 2027-02-02 (30 days) but opened on 2027-01-24, the public had
    10 days with no warning. Now the real day counts."""
    from datetime import datetime

    from comments.clock import JAPAN

    consultation = make_consultation(
        status=ConsultationStatus.draft,
        opens_at=start_of_day(date(2027, 1, 4)),
        closes_at=end_of_day(date(2027, 2, 2)),
    )
    frozen_clock.set(datetime(2027, 1, 24, 10, 0, tzinfo=JAPAN))
    with pytest.raises(DomainError) as raised:
        open_consultation(consultation, ACTOR)
    assert "would be 10 days" in str(raised.value.message)
    assert raised.value.field == "shortening_reason"
    assert consultation.status == ConsultationStatus.draft

    consultation.shortening_reason = "委員会の開催日程に合わせるため"
    open_consultation(consultation, ACTOR)
    assert consultation.status == ConsultationStatus.open
    assert consultation.opens_at == start_of_day(date(2027, 1, 24)), "the public sees the day it really opened"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "consultation.opened").order_by(AuditEvent.id.desc())
    ).first()
    assert event.detail["planned_opens_at"] == "2027-01-04T00:00:00+09:00"


def test_opened_late_but_still_thirty_days_long_opens_from_today(frozen_clock):
    from datetime import datetime

    from comments.clock import JAPAN

    consultation = make_consultation(
        status=ConsultationStatus.draft,
        opens_at=start_of_day(date(2027, 1, 4)),
        closes_at=end_of_day(date(2027, 3, 31)),
    )
    frozen_clock.set(datetime(2027, 1, 24, 10, 0, tzinfo=JAPAN))
    open_consultation(consultation, ACTOR)
    assert consultation.opens_at == start_of_day(date(2027, 1, 24))
