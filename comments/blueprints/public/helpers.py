"""Template helpers shared by every page."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app, request
from flask_babel import format_date, format_datetime, get_locale, gettext

from comments.clock import JAPAN
from comments.labels import label, response_state_label
from comments.permissions import Permission


def japan_time(value: datetime | None) -> str:
    """An instant in Japan time with the words 日本時間 / Japan time, as the notice must say (R02)."""
    if value is None:
        return ""
    local = value.astimezone(JAPAN)
    if str(get_locale()) == "ja":
        text = format_datetime(local, "y年M月d日(EEE) H時mm分")
    else:
        text = format_datetime(local, "EEE d MMMM y, HH:mm")
    return gettext("%(time)s (Japan time)", time=text)


def japan_deadline(value: datetime | None) -> str:
    """A closing instant; one at midnight is the end of the previous day, shown as 24:00 of that day."""
    if value is None:
        return ""
    local = value.astimezone(JAPAN)
    if (local.hour, local.minute, local.second, local.microsecond) != (0, 0, 0, 0):
        return japan_time(value)
    day = local - timedelta(days=1)
    if str(get_locale()) == "ja":
        text = format_datetime(day, "y年M月d日(EEE)") + " 24時00分"
    else:
        text = format_datetime(day, "EEE d MMMM y") + ", 24:00"
    return gettext("%(time)s (Japan time)", time=text)


def calendar_day(value: date | None) -> str:
    """A calendar day (a due date, a meeting day), written as ``japan_date`` writes instants."""
    if value is None:
        return ""
    return format_date(value, "y年M月d日" if str(get_locale()) == "ja" else "d MMMM y")


def japan_date(value: datetime | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(JAPAN)
    return format_datetime(local, "y年M月d日" if str(get_locale()) == "ja" else "d MMMM y")


def remaining(delta: timedelta | None) -> str:
    """Time left, in days and hours, or hours and minutes on the last day."""
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return gettext("%(days)d days %(hours)d hours", days=days, hours=hours)
    return gettext("%(hours)d hours %(minutes)d minutes", hours=hours, minutes=minutes)


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def template_helpers() -> dict:
    return {
        "japan_time": japan_time,
        "japan_date": japan_date,
        "calendar_day": calendar_day,
        "response_state_label": response_state_label,
        "japan_deadline": japan_deadline,
        "remaining": remaining,
        "human_size": human_size,
        "current_locale": str(get_locale()),
        "organisation_name": current_app.config["ORGANISATION_NAME"],
        "current_path": request.full_path.rstrip("?") if request else "/",
        "Permission": Permission,
        "enum_label": label,
    }
