"""The one clock of the service layer.

Decisions about "now" and "today" (is a workshop over, is an action overdue,
is a membership current) take the time from here, never from ``date.today()``
in a resolver or a projection. "Today" is a city's own date in its time zone:
a workshop hosted in Rostock ends on Rostock's calendar, whatever the server's
zone. Tests inject a ``FixedClock`` and never depend on the real date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass
class FixedClock:
    """A clock for tests and replays: stands still unless moved."""

    instant: datetime = field(default_factory=lambda: datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc))

    def now(self) -> datetime:
        return self.instant

    def advance(self, **delta: float) -> None:
        self.instant += timedelta(**delta)


def today_in(clock: Clock, time_zone: str) -> date:
    """The calendar date it is now in the given IANA zone."""
    return clock.now().astimezone(ZoneInfo(time_zone)).date()


def shared_today(clock: Clock) -> date:
    """"Today" for views that span cities in several zones (the workshop list's timing filter, a
    plan's overdue flags): the UTC date. Decisions about one workshop or one city use that
    city's own date (``today_in``); these views are at most a few hours off at midnight."""
    return today_in(clock, "UTC")
