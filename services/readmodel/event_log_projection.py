"""The event-log projection: every event with its attribution, for auditors to browse."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from collections.abc import Callable, Sequence

from eventsourcing.persistence import Transcoder
from sqlalchemy import select
from sqlalchemy.engine import Connection

from citynet.services.projections.batch import Batch
from citynet.services.projections.runner import Item
from citynet.services.readmodel.tables import event_log

AGGREGATE_TYPES = "aggregate_types"  # memo: originator id -> the type named by its first event


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
    raw = True
    adds_only = True  # one new row per event, never read back nor changed (see AddedRows)
    topics: tuple[str, ...] = ()
    tables = (event_log,)

    def __init__(self, transcoder: Transcoder) -> None:
        self.transcoder = transcoder

    def prepare(self, conn: Connection, b: Batch, items: Sequence[Item]) -> None:
        """Shared event classes (Agreement.*) name the base: keep each aggregate's own type from its first event."""
        if b.complete:
            return  # a rebuild sees every first event: ``apply`` notes their types, nothing to load
        known = b.memo.setdefault(AGGREGATE_TYPES, {})
        firsts = {str(i.notification.originator_id) for i in items if i.notification.originator_version == 1}
        wanted = {str(i.notification.originator_id) for i in items if i.notification.originator_version > 1} - firsts
        wanted -= known.keys()
        if wanted:
            for part in _chunks(sorted(wanted), 500):
                known.update({r.originator_id: r.aggregate_type for r in conn.execute(
                    select(event_log.c.originator_id, event_log.c.aggregate_type).where(
                        event_log.c.originator_version == 1, event_log.c.originator_id.in_(part)))})

    def apply(self, b: Batch, item: Item) -> None:
        n = item.notification
        if item.state is not None:
            data = dict(item.state)
            meta = data.pop("_meta", None) or {}
        else:
            data, meta = decode_state(self.transcoder, n.state)
        owner, name = _topic_parts(n.topic)
        known = b.memo.setdefault(AGGREGATE_TYPES, {})
        originator = str(n.originator_id)
        if n.originator_version == 1:
            known[originator] = owner
        aggregate_type = known.get(originator, owner)
        actor = meta.get("actor") or {}
        timestamp = data.pop("timestamp", None)
        b[event_log].put(dict(
            position=n.id, originator_id=originator, originator_version=n.originator_version,
            aggregate_type=aggregate_type, event_type=name,
            recorded_at=timestamp.isoformat() if isinstance(timestamp, datetime) else str(timestamp),
            actor_id=actor.get("id", "unknown"), actor_role=actor.get("role", "unknown"),
            actor_city_id=actor.get("city_id"), correlation_id=meta.get("correlation_id", ""),
            causation_id=meta.get("causation_id", ""), command=meta.get("command", "unknown"),
            data=_encode_data(data),
        ))


def _data_encoder() -> Callable[[dict[str, Any]], str]:
    """As ``json.dumps(data, default=plain, ensure_ascii=False)``, the same text. ``JSONEncoder.encode``
    makes a new C encoder (and closures) on every call, half its time for an event's few fields; this one
    is made once. No check for circular references: decoded JSON has none. (Falls back to the encoder's
    own ``encode`` where the C accelerator is missing.)"""
    encoder = json.JSONEncoder(default=plain, ensure_ascii=False, check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    once = make(None, encoder.default, json.encoder.encode_basestring, None, encoder.key_separator,
                encoder.item_separator, encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)
    return lambda data: "".join(once(data, 0))


_encode_data = _data_encoder()
_TOPICS: dict[str, tuple[str, str]] = {}


def _topic_parts(topic: str) -> tuple[str, str]:
    parts = _TOPICS.get(topic)
    if parts is None:
        parts = _TOPICS[topic] = split_topic(topic)
    return parts


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[i:i + size] for i in range(0, len(values), size)]
