"""The comment period: when it opens and closes, and whether a submission is inside it (R01, R51-R53).

Instants are stored in UTC and shown in Japan time. A deadline given as a date means the end of that
day in Japan time. The server's clock decides; the client's never does.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from comments.clock import JAPAN
from comments.domain import DomainError
from comments.models import Consultation, ConsultationStatus

# 行政手続法第39条第3項 as applied by 特定個人情報保護評価指針: at least 30 days, the publication day
# counted as day 1, unless a special reason (特段の理由) is recorded and shown.
MINIMUM_PERIOD_DAYS = 30


def start_of_day(day: date) -> datetime:
    """00:00 of ``day`` in Japan time, as an aware instant."""
    return datetime.combine(day, time.min, tzinfo=JAPAN)


def end_of_day(day: date) -> datetime:
    """The instant a date deadline ends: 24:00 of ``day`` in Japan time (00:00 of the next day).

    A submission is inside the period while its received instant is strictly before this.
    """
    return start_of_day(day + timedelta(days=1))


def period_days(opens_at: datetime, closes_at: datetime) -> int:
    """How many calendar days (Japan time) the period covers, the opening day counted as day 1.

    ``closes_at`` is exclusive: a period that closes at 00:00 on 22 July has 21 July as its last day.
    """
    first = opens_at.astimezone(JAPAN).date()
    last = (closes_at - timedelta(microseconds=1)).astimezone(JAPAN).date()
    return (last - first).days + 1


def check_comment_period(opens_at: datetime, closes_at: datetime, shortening_reason: str | None) -> None:
    """Refuse a period under 30 days unless a shortening reason is recorded (R01)."""
    if closes_at <= opens_at:
        raise DomainError(_l("The closing date must be after the opening date."), field="closes_at")
    days = period_days(opens_at, closes_at)
    if days < MINIMUM_PERIOD_DAYS and not (shortening_reason or "").strip():
        raise DomainError(
            _l(
                "The comment period is %(days)d days; the rules require at least %(minimum)d days "
                "(the publication day is day 1). Lengthen the period or record the special reason for shortening it.",
                days=days,
                minimum=MINIMUM_PERIOD_DAYS,
            ),
            field="shortening_reason",
        )


def period_accepts(status: ConsultationStatus, opens_at: datetime, closes_at: datetime, at: datetime) -> bool:
    """Whether a submission received at instant ``at`` falls inside an open period."""
    return status == ConsultationStatus.open and opens_at <= at < closes_at


def is_accepting(consultation: Consultation, at: datetime) -> bool:
    """Whether the consultation accepts a submission received at instant ``at``."""
    return period_accepts(consultation.status, consultation.opens_at, consultation.closes_at, at)


def phase(consultation: Consultation, at: datetime) -> str:
    """What the public sees: ``upcoming``, ``open``, ``closed`` or ``results``."""
    if consultation.status in (ConsultationStatus.published, ConsultationStatus.archived):
        return "results"
    if consultation.status == ConsultationStatus.open:
        if at < consultation.opens_at:
            return "upcoming"
        if at < consultation.closes_at:
            return "open"
    return "closed"


def time_remaining(consultation: Consultation, at: datetime) -> timedelta | None:
    """Time left until the period closes, or None once it has closed."""
    if phase(consultation, at) != "open":
        return None
    return consultation.closes_at - at
