"""The server's clock, below every layer. Deadlines are judged by it alone, never by the client's (R51).

Everything reads the time through this module (``clock.now()``): the domain, the models' column
defaults, the worker and the views. A test that moves the clock with ``set_source`` therefore moves it
for all of them at once, even for code that took a reference to ``now`` when it was imported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

JAPAN = ZoneInfo("Asia/Tokyo")


def _system_now() -> datetime:
    return datetime.now(UTC)


_source: Callable[[], datetime] = _system_now


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return _source()


def japan_today() -> date:
    """Today's date in Japan, where every due date and period of the service is a Japanese calendar day."""
    return now().astimezone(JAPAN).date()


def set_source(source: Callable[[], datetime] | None) -> Callable[[], datetime]:
    """Make ``source`` the clock (tests move time with it); None puts the system clock back. Returns the
    source it replaced, so a caller can put that back."""
    global _source
    previous = _source
    _source = source or _system_now
    return previous
