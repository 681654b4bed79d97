"""Read-model queries over the event log (mixed into ReadModel)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select

from citynet.domain.errors import InvalidInput
from citynet.services.readmodel.paging import Page, check_first, decode_cursor, encode_cursor
from citynet.services.readmodel.tables import event_log


@dataclass(frozen=True)
class EventRow:
    position: int
    originator_id: str
    originator_version: int
    aggregate_type: str
    event_type: str
    recorded_at: str
    actor_id: str
    actor_role: str
    actor_city_id: str | None
    correlation_id: str
    causation_id: str
    command: str
    data: dict[str, Any]


@dataclass(frozen=True)
class EventFilter:
    aggregate_id: str | None = None
    aggregate_type: str | None = None
    event_type: str | None = None
    actor_id: str | None = None
    city_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[Any]:
        if self.since and self.until and self.until < self.since:
            raise InvalidInput("filter.until", "is before filter.since")
        c = event_log.c
        out = []
        for column, value in ((c.originator_id, self.aggregate_id), (c.aggregate_type, self.aggregate_type),
                              (c.event_type, self.event_type), (c.actor_id, self.actor_id),
                              (c.actor_city_id, self.city_id)):
            if value is not None:
                out.append(column == value)
        # Stored as ISO 8601 UTC text, which sorts as time does.
        if self.since:
            out.append(c.recorded_at >= _utc(self.since, "filter.since"))
        if self.until:
            out.append(c.recorded_at <= _utc(self.until, "filter.until"))
        return out


def _utc(moment: datetime, field: str) -> str:
    if moment.tzinfo is None:
        raise InvalidInput(field, "must carry an offset")
    from datetime import timezone

    return moment.astimezone(timezone.utc).isoformat()


def _event(r: Any) -> EventRow:
    return EventRow(r.position, r.originator_id, r.originator_version, r.aggregate_type, r.event_type,
                    r.recorded_at, r.actor_id, r.actor_role, r.actor_city_id, r.correlation_id, r.causation_id,
                    r.command, json.loads(r.data))


class AuditQueries:
    async def events_page(self, first: int | None, after: str | None, f: EventFilter) -> Page[EventRow]:
        limit = check_first(first)
        key = decode_cursor(after, 1)
        conditions = f.conditions()
        total_stmt = select(func.count()).select_from(event_log)
        if conditions:
            total_stmt = total_stmt.where(and_(*conditions))
        if key is not None:
            if not key[0].isdigit():
                raise InvalidInput("after", "is not a cursor returned by this API")
            conditions.append(event_log.c.position > int(key[0]))
        stmt = select(event_log).order_by(event_log.c.position).limit(limit + 1)
        if conditions:
            stmt = stmt.where(and_(*conditions))
        rows = await self._all(stmt)  # type: ignore[attr-defined]
        items = [(encode_cursor([str(r.position)]), _event(r)) for r in rows[:limit]]
        return Page(items, len(rows) > limit, after is not None, None, lambda: self._count(total_stmt))  # type: ignore[attr-defined]

    async def history_of(self, aggregate_id: str) -> list[EventRow]:
        rows = await self._all(select(event_log).where(event_log.c.originator_id == aggregate_id)  # type: ignore[attr-defined]
                               .order_by(event_log.c.originator_version))
        return [_event(r) for r in rows]
