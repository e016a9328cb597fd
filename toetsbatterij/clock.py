"""Time as a dependency: services receive a clock so that deadlines can be tested exactly."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

#: The agencies' time zone: the default wherever a moment becomes a calendar day.
DEFAULT_TZ = "Europe/Brussels"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def local_date(moment: dt.datetime, tz: str = DEFAULT_TZ) -> dt.date:
    """The calendar day of ``moment`` in the time zone ``tz``."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(tz)).date()


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self) -> dt.datetime:
        return utcnow()


class FrozenClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, seconds: float = 0.0, **kwargs: float) -> dt.datetime:
        self._now = self._now + dt.timedelta(seconds=seconds, **kwargs)
        return self._now

    def set(self, moment: dt.datetime) -> None:
        self._now = moment
