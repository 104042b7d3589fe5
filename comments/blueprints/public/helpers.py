"""Template helpers shared by every page."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request
from flask_babel import get_locale, gettext

from comments.dates import calendar_day, japan_deadline, japan_time, period_text, time_range
from comments.labels import label, response_state_label
from comments.permissions import Permission


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
        # Every date and time on a page is written by comments/dates.py.
        "japan_time": japan_time,
        "calendar_day": calendar_day,
        "time_range": time_range,
        "period_text": period_text,
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
