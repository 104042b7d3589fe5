"""Template helpers shared by every page."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, request
from flask_babel import format_datetime, get_locale, gettext, ngettext

from comments.domain.clock import JAPAN


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
        return ngettext("%(num)d day", "%(num)d days", days) + " " + ngettext("%(num)d hour", "%(num)d hours", hours)
    return (
        ngettext("%(num)d hour", "%(num)d hours", hours) + " " + ngettext("%(num)d minute", "%(num)d minutes", minutes)
    )


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
        "remaining": remaining,
        "human_size": human_size,
        "current_locale": str(get_locale()),
        "organisation_name": current_app.config["ORGANISATION_NAME"],
        "current_path": request.full_path.rstrip("?") if request else "/",
    }
