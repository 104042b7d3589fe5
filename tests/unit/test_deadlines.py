"""The 30-day rule and the end-of-day deadline in Japan time (R01, R51)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from comments.clock import JAPAN
from comments.domain import DomainError
from comments.domain.deadlines import (
    check_comment_period,
    end_of_day,
    is_accepting,
    period_days,
    phase,
    start_of_day,
)
from comments.models import Consultation, ConsultationStatus


def test_date_deadline_is_end_of_that_day_in_japan():
    closes = end_of_day(date(2015, 7, 21))
    assert closes == datetime(2015, 7, 22, 0, 0, tzinfo=JAPAN)
    assert closes.astimezone(UTC) == datetime(2015, 7, 21, 15, 0, tzinfo=UTC)


def test_seed_period_counts_thirty_days_publication_day_included():
    # Published 22 June 2015, comments until 21 July: the meeting's own period.
    assert period_days(start_of_day(date(2015, 6, 22)), end_of_day(date(2015, 7, 21))) == 30
    check_comment_period(start_of_day(date(2015, 6, 22)), end_of_day(date(2015, 7, 21)), None)


def test_twenty_nine_days_rejected_without_a_reason():
    opens, closes = start_of_day(date(2015, 6, 22)), end_of_day(date(2015, 7, 20))
    assert period_days(opens, closes) == 29
    with pytest.raises(DomainError) as raised:
        check_comment_period(opens, closes, None)
    assert raised.value.field == "shortening_reason"
    with pytest.raises(DomainError):
        check_comment_period(opens, closes, "   ")
    check_comment_period(opens, closes, "法改正の施行日に間に合わせるため")


def test_closing_before_opening_rejected():
    opens = start_of_day(date(2015, 6, 22))
    with pytest.raises(DomainError):
        check_comment_period(opens, opens - timedelta(days=1), "reason")


def _consultation(**values):
    base = {
        "status": ConsultationStatus.open,
        "opens_at": start_of_day(date(2015, 6, 22)),
        "closes_at": end_of_day(date(2015, 7, 21)),
    }
    base.update(values)
    return Consultation(**base)


def test_accepting_is_decided_on_the_instant_received():
    consultation = _consultation()
    last_tenth = datetime(2015, 7, 21, 23, 59, 59, 900000, tzinfo=JAPAN)
    assert is_accepting(consultation, last_tenth)
    assert not is_accepting(consultation, datetime(2015, 7, 22, 0, 0, tzinfo=JAPAN))
    assert not is_accepting(consultation, datetime(2015, 6, 21, 23, 59, tzinfo=JAPAN))
    assert is_accepting(consultation, datetime(2015, 6, 22, 0, 0, tzinfo=JAPAN))


def test_only_an_open_consultation_accepts():
    instant = datetime(2015, 7, 1, 12, 0, tzinfo=JAPAN)
    assert not is_accepting(_consultation(status=ConsultationStatus.draft), instant)
    assert not is_accepting(_consultation(status=ConsultationStatus.closed), instant)
    assert phase(_consultation(status=ConsultationStatus.published), instant) == "results"
    assert phase(_consultation(), datetime(2015, 6, 1, tzinfo=JAPAN)) == "upcoming"
    assert phase(_consultation(), datetime(2015, 8, 1, tzinfo=JAPAN)) == "closed"
