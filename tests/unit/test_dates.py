"""Dates as the city writes them (comments/dates.py): the era calendar in Japanese unless the setting turns it
off, Western years in English, the weekday in full-width parentheses, a midnight deadline as 24時00分 of the
day before, and "Japan time" only where asked for."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from comments import create_app
from comments.dates import calendar_day, japan_deadline, japan_time, japanese_year, period_text, time_range
from config import TestingConfig


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2026, 12, 3), "令和8年"),
        (date(2019, 5, 1), "令和元年"),
        (date(2019, 4, 30), "平成31年"),
        (date(1989, 1, 8), "平成元年"),
        (date(1989, 1, 7), "昭和64年"),
    ],
)
def test_the_era_year_changes_on_the_first_day_of_an_era(day, year):
    assert japanese_year(day) == year


def test_a_day_in_japanese_has_its_era_and_a_full_width_weekday():
    assert calendar_day(date(2026, 12, 3), locale="ja") == "令和8年12月3日"
    assert calendar_day(date(2026, 12, 3), weekday=True, locale="ja") == "令和8年12月3日（木）"


def test_an_instant_is_its_day_and_time_in_japan():
    # 15:05 UTC on 2 December is 00:05 on 3 December in Japan.
    instant = datetime(2026, 12, 2, 15, 5, tzinfo=UTC)
    assert calendar_day(instant, locale="ja") == "令和8年12月3日"
    assert japan_time(instant, locale="ja") == "令和8年12月3日（木）0時05分"
    assert japan_time(instant, locale="en") == "Thu 3 December 2026, 00:05"


def test_a_deadline_at_midnight_is_24_00_of_the_day_before():
    midnight = datetime(2027, 1, 2, 15, 0, tzinfo=UTC)  # 00:00 on 3 January in Japan
    assert japan_deadline(midnight, locale="ja") == "令和9年1月2日（土）24時00分"
    assert japan_deadline(midnight, locale="en") == "Sat 2 January 2027, 24:00"
    assert japan_deadline(midnight, zone=True, locale="ja") == "令和9年1月2日（土）24時00分（日本時間）"


def test_japan_time_is_said_only_when_asked():
    instant = datetime(2026, 12, 3, 5, 30, tzinfo=UTC)
    assert "日本時間" not in japan_time(instant, locale="ja")
    assert japan_time(instant, zone=True, locale="ja").endswith("（日本時間）")
    assert japan_time(instant, zone=True, locale="en").endswith(" (Japan time)")


def test_english_always_uses_western_years():
    assert calendar_day(date(2026, 12, 3), locale="en") == "3 December 2026"
    assert calendar_day(date(2026, 12, 3), weekday=True, locale="en") == "Thu 3 December 2026"


def test_periods_and_hours_read_as_a_notice_writes_them():
    assert period_text(date(2026, 12, 3), date(2027, 1, 2), locale="ja") == "令和8年12月3日から令和9年1月2日まで"
    # A period that ends at midnight ends on the day before.
    assert period_text(date(2026, 12, 3), datetime(2027, 1, 2, 15, 0, tzinfo=UTC), locale="en") == (
        "3 December 2026 to 2 January 2027"
    )
    assert time_range(time(18, 0), time(19, 20), locale="ja") == "18時00分～19時20分"
    assert time_range(time(18, 0), time(19, 20), locale="en") == "18:00 to 19:20"
    assert time_range(None, None) == ""


@pytest.mark.parametrize(("setting", "expected"), [(True, "令和8年12月3日（木）"), (False, "2026年12月3日（木）")])
def test_the_setting_chooses_era_or_western_years_in_japanese(setting, expected):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", JAPANESE_ERA_DATES=setting)
    with app.test_request_context("/"):
        assert calendar_day(date(2026, 12, 3), weekday=True) == expected
        assert japan_time(datetime(2026, 12, 3, 5, 30, tzinfo=UTC)).startswith(expected)
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert calendar_day(date(2026, 12, 3)) == "3 December 2026", "English ignores the setting"
