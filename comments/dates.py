"""Dates and times as the city writes them: one module for the pages, the mail, the exported files and the
messages of the domain, so that a date reads the same wherever it appears.

In Japanese, 令和8年12月3日（木） and 14時05分, the year in the era calendar (和暦) as the city's documents
print it, or 2026年12月3日（木） when ``JAPANESE_ERA_DATES`` is off; in English, always Western years:
Thu 3 December 2026, 14:05. Every instant is shown in Japan time, where every period and due date of the
service lies. "Japan time" is written where the public notice needs it (R02: the closing time of a comment
period), not after every time on a page. Machine-readable values (``datetime=`` attributes, CSV columns
read by tools, input fields) stay ISO 8601.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from babel.dates import format_date as babel_format_date
from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale, gettext

from comments.clock import JAPAN

# The first day of each era (改元の日), newest first. A new era is one line here.
ERAS = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
)
WEEKDAYS = "月火水木金土日"  # Monday first, as date.weekday() counts


def _language(locale: str | None) -> str:
    if locale:
        return str(locale)
    return str(get_locale() or "ja") if has_app_context() else "ja"


def _era_dates() -> bool:
    return bool(current_app.config.get("JAPANESE_ERA_DATES", True)) if has_app_context() else True


def japanese_year(day: date, *, era: bool | None = None) -> str:
    """The year of ``day`` as a Japanese document writes it: 令和8年, 令和元年 for an era's first year, or
    2026年 with ``era`` off (by default the JAPANESE_ERA_DATES setting)."""
    if era is None:
        era = _era_dates()
    if era:
        for start, name in ERAS:
            if day >= start:
                year = day.year - start.year + 1
                return f"{name}{'元' if year == 1 else year}年"
    return f"{day.year}年"


def _day_of(value: date | datetime) -> date:
    return value.astimezone(JAPAN).date() if isinstance(value, datetime) else value


def calendar_day(value: date | datetime | None, *, weekday: bool = False, locale: str | None = None) -> str:
    """A day: 令和8年12月3日, with ``weekday`` 令和8年12月3日（木）; in English 3 December 2026 or
    Thu 3 December 2026. An instant is taken as its day in Japan."""
    if value is None:
        return ""
    day = _day_of(value)
    if _language(locale) == "ja":
        text = f"{japanese_year(day)}{day.month}月{day.day}日"
        return f"{text}（{WEEKDAYS[day.weekday()]}）" if weekday else text
    return babel_format_date(day, "EEE d MMMM y" if weekday else "d MMMM y", locale="en")


def time_of_day(value: time | datetime, *, locale: str | None = None) -> str:
    """A time of day: 14時05分, in English 14:05 (an instant in Japan time)."""
    if isinstance(value, datetime):
        value = value.astimezone(JAPAN)
    if _language(locale) == "ja":
        return f"{value.hour}時{value.minute:02d}分"
    return f"{value.hour:02d}:{value.minute:02d}"


def time_range(starts: time | None, ends: time | None, *, locale: str | None = None) -> str:
    """The hours of a meeting: 18時00分～19時20分, in English 18:00 to 19:20."""
    if starts is None:
        return ""
    text = time_of_day(starts, locale=locale)
    if ends is None:
        return text
    joiner = "～" if _language(locale) == "ja" else " to "
    return text + joiner + time_of_day(ends, locale=locale)


def _zoned(text: str, locale: str | None) -> str:
    language = _language(locale)
    if not has_app_context():
        return f"{text}（日本時間）" if language == "ja" else f"{text} (Japan time)"
    with force_locale(language):
        return gettext("%(time)s (Japan time)", time=text)


def _joined(day_text: str, time_text: str, locale: str | None) -> str:
    return day_text + time_text if _language(locale) == "ja" else f"{day_text}, {time_text}"


def japan_time(value: datetime | None, *, zone: bool = False, locale: str | None = None) -> str:
    """An instant to the minute in Japan time: 令和8年12月3日（木）14時05分, in English Thu 3 December 2026,
    14:05; ``zone`` adds （日本時間）, for the few places the reader must be told (R02)."""
    if value is None:
        return ""
    local = value.astimezone(JAPAN)
    text = _joined(calendar_day(local, weekday=True, locale=locale), time_of_day(local, locale=locale), locale)
    return _zoned(text, locale) if zone else text


def japan_deadline(value: datetime | None, *, zone: bool = False, locale: str | None = None) -> str:
    """A closing instant. One at midnight is the end of the day before, written as 24時00分 of that day, as
    a notice writes it: 令和9年1月2日（土）24時00分."""
    if value is None:
        return ""
    local = value.astimezone(JAPAN)
    if local.time() != time(0, 0):
        return japan_time(value, zone=zone, locale=locale)
    day = calendar_day(local.date() - timedelta(days=1), weekday=True, locale=locale)
    text = _joined(day, "24時00分" if _language(locale) == "ja" else "24:00", locale)
    return _zoned(text, locale) if zone else text


def period_text(first: date | datetime, last: date | datetime, *, locale: str | None = None) -> str:
    """A span of days, both included: 令和8年12月3日から令和9年1月2日まで, in English 3 December 2026 to
    2 January 2027. ``last`` is a day, or the instant the period ends (midnight ends the day before)."""
    if isinstance(last, datetime):
        last = last_day(last)
    start, end = calendar_day(first, locale=locale), calendar_day(last, locale=locale)
    return f"{start}から{end}まで" if _language(locale) == "ja" else f"{start} to {end}"


def last_day(closes_at: datetime) -> date:
    """The last day of a period that ends at ``closes_at`` (midnight ends the day before), in Japan."""
    return (closes_at - timedelta(microseconds=1)).astimezone(JAPAN).date()
