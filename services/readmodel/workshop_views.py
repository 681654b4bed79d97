"""What the API shows about a workshop beyond its stored row: its days and its free places.

Computed here, in the service layer, so every reader (GraphQL, calendar feeds, the CLI)
answers the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WorkshopDay:
    date: date
    starts_at: datetime  # midnight in the host zone, with that day's offset
    ends_at: datetime


def workshop_days(start: date | None, end: date | None, time_zone: str) -> list[WorkshopDay]:
    """Each calendar day from start to end in the host zone; a DST change gives each day its own offset."""
    if start is None or end is None:
        return []
    zone = ZoneInfo(time_zone)
    out, day = [], start
    while day <= end:
        out.append(WorkshopDay(day, datetime.combine(day, time.min, zone),
                               datetime.combine(day + timedelta(days=1), time.min, zone)))
        day += timedelta(days=1)
    return out


@dataclass(frozen=True)
class Occupancy:
    registered: int
    waitlisted: int
    free_places: int  # never negative: a lowered capacity can leave more registered than places

    @classmethod
    def of(cls, capacity: int, counts: dict[str, int]) -> Occupancy:
        registered = counts.get("registered", 0)
        return cls(registered, counts.get("waitlisted", 0), max(capacity - registered, 0))
