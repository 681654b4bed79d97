"""VTIMEZONE components that every calendar client reads the same way.

icalendar's own generator writes one observance per offset with every onset
from 1970 to 2037 as a comma-separated RDATE list, and its DAYLIGHT onsets at
the local time after the jump; ical.js reads only the first RDATE value and
then places summer events an hour off. Here each observance is written from
the zone's real transitions over the years a feed needs:

- when every onset of a kind in that window follows one yearly rule (the same
  month, weekday, week and local time, as in the EU since 1996), one
  observance with a yearly RRULE;
- otherwise one observance per onset (a DTSTART each, no lists).

An onset's DTSTART is the local time *before* the jump, in TZOFFSETFROM, as
RFC 5545 (3.6.5) says: 02:00 for the EU's spring change, 03:00 for autumn.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY = 86_400


@dataclass(frozen=True)
class State:
    offset: timedelta
    dst: bool
    name: str


@dataclass(frozen=True)
class Onset:
    local: datetime  # naive wall-clock time before the jump
    before: State
    after: State

    @property
    def rule(self) -> tuple[object, ...]:
        """What a yearly RRULE would have to reproduce."""
        days_in_month = calendar.monthrange(self.local.year, self.local.month)[1]
        week = -1 if self.local.day + 7 > days_in_month else (self.local.day - 1) // 7 + 1
        return (self.before, self.after, self.local.month, self.local.weekday(), week, self.local.time())


def _state(zone: ZoneInfo, ts: int) -> State:
    moment = datetime.fromtimestamp(ts, tz=zone)
    return State(moment.utcoffset() or timedelta(0), bool(moment.dst()), moment.tzname() or "")


def onsets(zone: ZoneInfo, first_year: int, last_year: int) -> tuple[State, list[Onset]]:
    """The state at the start of ``first_year`` and every change of offset or DST up to the end of ``last_year``."""
    start = int(datetime(first_year, 1, 1, tzinfo=timezone.utc).timestamp())
    end = int(datetime(last_year + 1, 1, 1, tzinfo=timezone.utc).timestamp())
    initial = previous = _state(zone, start)
    found = []
    for day in range(start, end, DAY):
        current = _state(zone, day + DAY)
        if (current.offset, current.dst) == (previous.offset, previous.dst):
            continue
        low, high = day, day + DAY  # the change happens in (low, high]: find its first second
        while high - low > 1:
            middle = (low + high) // 2
            state = _state(zone, middle)
            if (state.offset, state.dst) == (previous.offset, previous.dst):
                low = middle
            else:
                high = middle
        local = datetime.fromtimestamp(high, tz=timezone.utc).replace(tzinfo=None) + previous.offset
        found.append(Onset(local, previous, current))
        previous = current
    return initial, found


def _observance(kind: State, local: datetime, before: State, after: State) -> TimezoneDaylight | TimezoneStandard:
    component = TimezoneDaylight() if kind.dst else TimezoneStandard()
    component.add("dtstart", local)
    component.add("tzoffsetfrom", before.offset)
    component.add("tzoffsetto", after.offset)
    if after.name:
        component.add("tzname", after.name)
    return component


def vtimezone(key: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE for IANA zone ``key``, exact for every instant from ``first_year`` to ``last_year``."""
    initial, found = onsets(ZoneInfo(key), first_year, last_year)
    component = Timezone()
    component.add("tzid", key)
    if not found:
        component.add_component(_observance(initial, datetime(first_year, 1, 1), initial, initial))
        return component
    for dst in (True, False):
        of_kind = [o for o in found if o.after.dst is dst]
        if not of_kind:
            continue
        years = [o.local.year for o in of_kind]
        yearly = (len(of_kind) >= 2 and len({o.rule for o in of_kind}) == 1
                  and years == list(range(years[0], years[0] + len(years))))
        if yearly:
            first = of_kind[0]
            _, _, month, weekday, week, _ = first.rule
            observance = _observance(first.after, first.local, first.before, first.after)
            observance.add("rrule", {"freq": "yearly", "bymonth": month, "byday": f"{week}{WEEKDAYS[weekday]}"})
            component.add_component(observance)
        else:
            for onset in of_kind:
                component.add_component(_observance(onset.after, onset.local, onset.before, onset.after))
    return component
