"""The event-log projection: every event with its attribution, for auditors to browse."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, Transcoder
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from citynet.services.readmodel.tables import event_log


def plain(value: Any) -> Any:
    """JSON for people: ids, dates and enums as strings."""
    if isinstance(value, (UUID, date, datetime)):
        return value.isoformat() if not isinstance(value, UUID) else str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"not JSON: {type(value).__name__}")


def split_topic(topic: str) -> tuple[str, str]:
    qualname = topic.split(":", 1)[1]
    owner, _, name = qualname.rpartition(".")
    return owner, name


def decode_state(transcoder: Transcoder, state: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """The event's data and its attribution (``_meta``; empty for events stored before attribution)."""
    data = transcoder.decode(state)
    meta = data.pop("_meta", None) or {}
    return data, meta


class EventLogProjection:
    name = "event_log"

    def __init__(self, transcoder: Transcoder) -> None:
        self.transcoder = transcoder

    def apply(self, conn: Connection, event: Any, position: int) -> None:  # pragma: no cover - raw only
        pass

    def apply_raw(self, conn: Connection, n: Notification) -> None:
        data, meta = decode_state(self.transcoder, n.state)
        owner, name = split_topic(n.topic)
        if n.originator_version == 1:
            aggregate_type = owner
        else:  # shared event classes (Agreement.*) name the base; keep the aggregate's own type
            aggregate_type = conn.execute(select(event_log.c.aggregate_type).where(
                event_log.c.originator_id == str(n.originator_id), event_log.c.originator_version == 1)).scalar() or owner
        actor = meta.get("actor") or {}
        timestamp = data.get("timestamp")
        conn.execute(insert(event_log).values(
            position=n.id, originator_id=str(n.originator_id), originator_version=n.originator_version,
            aggregate_type=aggregate_type, event_type=name,
            recorded_at=timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp),
            actor_id=actor.get("id", "unknown"), actor_role=actor.get("role", "unknown"),
            actor_city_id=actor.get("city_id"), correlation_id=meta.get("correlation_id", ""),
            causation_id=meta.get("causation_id", ""), command=meta.get("command", "unknown"),
            data=json.dumps({k: v for k, v in data.items() if k != "timestamp"}, default=plain, ensure_ascii=False),
        ))
