"""Reading history: export the log, and any aggregate as it was at a version or a moment."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from citynet.domain.errors import InvalidInput, NotFound
from citynet.services.application import CitynetApplication
from citynet.services.audit_chain import GENESIS, link
from citynet.services.readmodel.event_log_projection import decode_state, plain, split_topic


@dataclass(frozen=True)
class ExportFilter:
    aggregate_id: UUID | None = None
    aggregate_types: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.until < self.since:
            raise InvalidInput("until", "is before since")


def export_lines(app: CitynetApplication, f: ExportFilter, batch: int = 1000) -> Iterator[str]:
    """NDJSON, one event per line in global order, with attribution and its chain link.

    Reads the log in batches and keeps nothing but the running link: constant memory.
    The link is computed over every event, exported or not, so each exported line's
    ``link`` can be checked against ``audit_chain`` / the published head."""
    position, previous = 0, GENESIS
    types: dict[str, str] = {}  # originator id -> aggregate type, for shared event classes
    transcoder = app.mapper.transcoder
    while True:
        events = app.recorder.select_notifications(start=position, limit=batch, inclusive_of_start=False)
        if not events:
            return
        for n in events:
            previous = link(previous, n)
            owner, name = split_topic(n.topic)
            if n.originator_version == 1:
                types[str(n.originator_id)] = owner
            aggregate_type = types.get(str(n.originator_id), owner)
            if f.aggregate_id and n.originator_id != f.aggregate_id:
                continue
            if f.aggregate_types and aggregate_type not in f.aggregate_types:
                continue
            if f.event_types and name not in f.event_types:
                continue
            data, meta = decode_state(transcoder, n.state)
            if f.actor_id and (meta.get("actor") or {}).get("id") != f.actor_id:
                continue
            at = data.pop("timestamp")
            if (f.since and at < f.since) or (f.until and at > f.until):
                continue
            yield json.dumps({
                "position": n.id, "aggregate_id": str(n.originator_id), "aggregate_type": aggregate_type,
                "version": n.originator_version, "event_type": name, "recorded_at": at.isoformat(),
                "metadata": meta, "data": data, "link": previous,
            }, default=plain, ensure_ascii=False)
        position = events[-1].id


def jsonable(value: Any) -> Any:
    """An aggregate's state as JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (UUID, date, datetime)):
        return plain(value)
    return value


@dataclass(frozen=True)
class Snapshot:
    aggregate_id: UUID
    aggregate_type: str
    version: int
    recorded_at: datetime
    state: dict[str, Any]


def as_of(app: CitynetApplication, aggregate_id: UUID, version: int | None = None,
          moment: datetime | None = None) -> Snapshot:
    """The aggregate as it was after ``version``, or at ``moment`` (latest event not after it)."""
    if version is not None and moment is not None:
        raise InvalidInput("version", "give a version or a moment, not both")
    events = list(app.events.get(aggregate_id))
    if not events:
        raise NotFound("Aggregate", aggregate_id, "id")
    if moment is not None:
        if moment.tzinfo is None:
            raise InvalidInput("at", "must carry an offset")
        upto = [e for e in events if e.timestamp <= moment]
        if not upto:
            raise InvalidInput("at", f"is before the record existed (created {events[0].timestamp.isoformat()})")
        version = upto[-1].originator_version
    if version is not None and not 1 <= version <= events[-1].originator_version:
        raise InvalidInput("version", f"must be between 1 and {events[-1].originator_version}")
    aggregate = app.repository.get(aggregate_id, version=version)
    state = {k: jsonable(v) for k, v in vars(aggregate).items() if not k.startswith("_")}
    event = events[(version or events[-1].originator_version) - 1]
    return Snapshot(aggregate_id, type(aggregate).__name__, aggregate.version, event.timestamp, state)
