"""The server's clock. Deadlines are judged by it alone, never by the client's (R51)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

JAPAN = ZoneInfo("Asia/Tokyo")


def now() -> datetime:
    """The current instant, aware, in UTC. Tests replace this function to move time."""
    return datetime.now(UTC)
