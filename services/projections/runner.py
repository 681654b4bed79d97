"""Applies the event log to one projection, batch by batch, exactly once.

The engine reads a stretch of the log once for all projections (up to the
head read first, so nothing committed later is passed over) and hands each
runner the events of the topics it handles. A runner loads what they touch,
applies them in memory, and writes rows and the new position in one
transaction. A stretch with nothing for it moves its position in memory
only; that position is written a moment later (or when rows are next
written), since no row depends on it.

When a batch fails, the runner goes event by event to find the one that
fails, commits everything before it, and stops there: the projection is
*stalled* at that position, with the error recorded for ``projections status``
and ``/ready``. It retries with backoff (transient causes heal by themselves);
the other projections and every command go on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import JSONTranscoder, Notification, find_id_convertor
from eventsourcing.utils import resolve_topic
import msgspec
import psycopg
from sqlalchemy import Table
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.engine import Connection, Engine

from citynet.services.projections import checkpoints
from citynet.services.projections.batch import CLAIMED, Batch, write
from citynet.services.projections.board import PositionBoard

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
MAX_BACKOFF = 60.0
TRANSIENT_RETRY_SECONDS = 1.0


@dataclass
class Item:
    """One event of a batch: its position, the stored record and (unless raw) the domain event."""

    position: int
    notification: Notification
    event: Any = None
    state: dict[str, Any] | None = None  # the stored state, decoded once for every projection


class Decoder:
    """Turns stored records into domain events, decoding each record's JSON only once."""

    def __init__(self, mapper: Any) -> None:
        self.mapper = mapper
        self.plain = not mapper.cipher and not mapper.compressor
        self._decode = _lean_decoder(mapper.transcoder) or mapper.transcoder.decode
        self._kinds: dict[tuple[str, type], tuple[type, Callable[[Any], Any], int]] = {}

    def state(self, item: Item) -> dict[str, Any]:
        if item.state is None:
            item.state = self._decode(self._bytes(item.notification))
        return item.state

    def event(self, item: Item) -> Any:
        if item.event is None:
            item.event = self._event(item) if self.plain else self.mapper.to_domain_event(item.notification)
        return item.event

    @staticmethod
    def _kind(topic: str, id_type: type) -> tuple[type, Callable[[Any], Any], int]:
        """What turning a stored record of this topic into an event needs, looked up once per topic (a
        rebuild turns every record: the lookups were a tenth of the time)."""
        cls = resolve_topic(topic)
        return cls, find_id_convertor(cls, id_type), getattr(cls, "class_version", 1)

    def _bytes(self, n: Notification) -> bytes:
        state = n.state
        if self.mapper.cipher:
            state = self.mapper.cipher.decrypt(state)
        if self.mapper.compressor:
            state = self.mapper.compressor.decompress(state)
        return state

    def _event(self, item: Item) -> Any:
        """As the library's Mapper.to_domain_event, from the already decoded state."""
        n = item.notification
        kind = self._kinds.get((n.topic, type(n.originator_id)))
        if kind is None:
            kind = self._kinds[n.topic, type(n.originator_id)] = self._kind(n.topic, type(n.originator_id))
        cls, convert_id, class_version = kind
        state = dict(item.state if item.state is not None else self.state(item))
        state["originator_id"] = convert_id(n.originator_id)
        state["originator_version"] = n.originator_version
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event


def _lean_decoder(transcoder: Any) -> Callable[[bytes], Any] | None:
    """eventsourcing's JSONTranscoder.decode, faster (every event of a rebuild is decoded): the same values
    and the same errors; None when the transcoder is not the library's JSON one.

    msgspec parses the JSON into plain values about 2.5 times as fast as the json module, and the
    transcoded objects (``{"_type_": ..., "_data_": ...}``) are then turned into their values bottom-up,
    as json's object hook does. Text that msgspec refuses (an error, or what only the json module reads:
    NaN, lone surrogates, numbers beyond a float) goes to the json module with a lean object hook, which
    decides."""
    cls = type(transcoder)
    if not (isinstance(transcoder, JSONTranscoder) and cls.decode is JSONTranscoder.decode
            and cls._decode_obj is JSONTranscoder._decode_obj):
        return None
    names = transcoder.names

    def transcoded(d: dict[str, Any]) -> Any:
        if len(d) == 2 and "_type_" in d and "_data_" in d:
            try:
                transcoding = names[d["_type_"]]
            except (KeyError, TypeError):
                return transcoder._decode_obj(d)  # the library's own error
            return transcoding.decode(d["_data_"])
        return d

    decoder = json.JSONDecoder(object_hook=transcoded)

    def by_json(data: bytes) -> Any:
        return decoder.decode(data.decode("utf8"))

    parse = msgspec.json.Decoder().decode

    def restore(value: Any) -> Any:
        """Transcoded objects anywhere in ``value`` to their values, innermost first (as an object hook)."""
        if type(value) is dict:
            for key, item in value.items():
                if type(item) is dict or type(item) is list:
                    value[key] = restore(item)
            return transcoded(value)
        if type(value) is list:
            for i, item in enumerate(value):
                if type(item) is dict or type(item) is list:
                    value[i] = restore(item)
        return value

    def by_msgspec(data: bytes) -> Any:
        try:
            value = parse(data)
        except Exception:  # noqa: BLE001 - whatever msgspec refuses, the json module decides
            return by_json(data)
        if data.find(b"\\") >= 0 and data.find(b"\\u") >= 0:  # (one byte is found fastest: memchr)
            return restore(value)  # a key "_type_" may be spelled with escapes: look everywhere
        marks = data.count(b'"_type_"')  # each object with a key "_type_" spells it so at least once
        if not marks:
            return value
        if type(value) is dict:
            # Usually every transcoded object is a field of the state itself (a timestamp, an id): when
            # those account for every mark, there are none deeper, and no walk through the rest.
            fields = [key for key, item in value.items() if type(item) is dict and "_type_" in item]
            if len(fields) == marks:
                for key in fields:
                    value[key] = transcoded(value[key])
                return value
        return restore(value)

    return by_msgspec


class Projection(Protocol):
    name: str
    tables: Sequence[Table]
    topics: Sequence[str]  # empty: every event
    raw: bool  # True: wants stored records only, no decoding
    # Optional: ``adds_only = True`` when every event adds new rows, never read back nor changed (a
    # rebuild then writes them and forgets them: see batch.AddedRows).

    def prepare(self, conn: Connection, batch: Batch, items: Sequence[Item]) -> None:
        """Load, with a few set-based SELECTs, every row the batch's events will touch."""

    def apply(self, batch: Batch, item: Item) -> None:
        """Change the batch's rows for one event (no I/O)."""


class Runner:
    def __init__(self, projection: Projection, engine: Engine, decoder: Decoder, board: PositionBoard) -> None:
        self.projection = projection
        self.name = projection.name
        self.engine = engine
        self.decoder = decoder
        self.board = board
        self.topics = frozenset(projection.topics)
        self.position = 0  # applied (in memory; at least ``persisted``)
        self.persisted = 0  # as stored in the checkpoint
        self.moved_at = 0.0  # when the position last moved past ``persisted``
        self.loaded = False
        self.announced = 0  # the last position other processes were told of
        self.companions: Callable[[], Collection[Runner]] = lambda: ()  # the engine's runners
        self.stalled_at: int | None = None
        self.failures = 0
        self.retry_at = 0.0
        self._transient = False  # the last attempt failed for want of the database
        board.register(self.name)

    def load_position(self) -> int:
        with self.engine.connect() as conn:
            cp = checkpoints.read(conn, self.name)
        self.position = self.persisted = self.announced = cp.position  # as stored: others can read it
        self.stalled_at, self.failures = cp.stalled_at, cp.failures
        self.loaded = True
        self.board.post(self.name, cp.position, cp.stalled_at, cp.error)
        return cp.position

    def ready(self) -> bool:
        """Loaded and not backing off after a failure."""
        backing_off = (self.stalled_at is not None or self._transient) and time.monotonic() < self.retry_at
        return self.loaded and not backing_off

    def wants(self, item: Item) -> bool:
        return not self.topics or item.notification.topic in self.topics

    # -- applying ---------------------------------------------------------------------------------

    def apply(self, items: Sequence[Item], end: int) -> bool:
        """Apply this projection's events among ``items`` and move to ``end`` (the stretch read).
        Returns True when the position moved. Never raises for an event it cannot apply."""
        mine = self.share(items)
        target = end
        if self.stalled_at is not None and mine:  # while stalled, one event at a time
            mine, target = mine[:1], mine[0].position
        if not mine:
            self._moved(target)
            return True
        try:
            if not self._commit(mine, target):
                self.load_position()  # another process applied this stretch
                return True
        except (OperationalError, InterfaceError, psycopg.OperationalError) as error:
            # The database went away or chose this transaction as a deadlock's victim, not the event: no
            # stall, try again in a moment.
            log.warning("projection %s %s (%s); retrying", self.name, _transient_reason(error), error)
            self.retry_at = time.monotonic() + TRANSIENT_RETRY_SECONDS
            self._transient = True
            return False
        except Exception as error:  # noqa: BLE001 - any other failure stalls this projection only
            if len(mine) > 1:
                return self._bisect(mine, target)
            self._stall(mine[0].position, error)
            return False
        self._transient = False
        if self.stalled_at is not None:
            log.info("projection %s resumed past position %s", self.name, self.stalled_at)
            self.stalled_at, self.failures = None, 0
        self.position = self.persisted = target
        self.board.post(self.name, target)
        return True

    def persist(self, older_than: float = 0.0) -> None:
        """Store a position that moved in memory only (nothing to write but the checkpoint)."""
        if self.position <= self.persisted or time.monotonic() - self.moved_at < older_than:
            return
        with self.engine.begin() as conn:
            if not checkpoints.claim_and_advance(conn, self.name, self.persisted, self.position):
                conn.rollback()
                self.load_position()
                return
        self.persisted = self.position

    def _moved(self, target: int) -> None:
        if target > self.position:
            if self.position == self.persisted:
                self.moved_at = time.monotonic()
            self.position = target
            self.board.post(self.name, target)

    def _bisect(self, items: list[Item], target: int) -> bool:
        """A batch failed: apply its events one by one, stall at the first that fails."""
        for item in items:
            try:
                if not self._commit([item], item.position):
                    self.load_position()
                    return True
            except Exception as e:  # noqa: BLE001
                self._stall(item.position, e)
                return False
            self.position = self.persisted = item.position
            self.board.post(self.name, item.position)
        self.stalled_at = None  # the failure did not come back event by event (a transient one)
        self._moved(target)
        return True

    def share(self, items: Sequence[Item]) -> list[Item]:
        """The events among ``items`` this projection has yet to apply."""
        return [i for i in items if i.position > self.position and self.wants(i)]

    def _commit(self, items: list[Item], target: int) -> bool:
        announcement = Announcement([(self, target)], self.companions())
        with self.engine.begin() as conn:
            if not checkpoints.claim_and_advance(conn, self.name, self.persisted, target,
                                                 announce=announcement.notice):
                conn.rollback()
                return False
            self.write_rows(conn, items)
        self.announced = target
        announcement.told()
        return True

    def write_rows(self, conn: Connection, items: list[Item]) -> None:
        """Apply ``items`` and write the rows they change, in the caller's transaction (which has claimed
        this projection's checkpoint)."""
        write(conn, self.build(conn, items))

    def build(self, conn: Connection, items: list[Item]) -> Batch:
        """Apply ``items`` to the rows they touch (loaded in the caller's transaction), not yet written."""
        if not self.projection.raw:
            for item in items:
                self.decoder.event(item)
        batch = Batch(self.projection.tables)
        batch.memo[CLAIMED] = self.persisted
        self.projection.prepare(conn, batch, items)
        for item in items:
            self.projection.apply(batch, item)
        return batch

    def committed(self, target: int) -> None:
        """Rows and checkpoint up to ``target`` were committed (and announced) together with others'."""
        self._transient = False
        self.position = self.persisted = self.announced = target
        self.board.post(self.name, target)

    def _stall(self, at: int, error: BaseException) -> None:
        self.failures += 1
        self.stalled_at = at
        delay = min(MAX_BACKOFF, 0.5 * 2 ** min(self.failures, 8))
        self.retry_at = time.monotonic() + delay
        message = f"{type(error).__name__}: {error}"
        log.error("projection %s stalled at position %s (attempt %s, retry in %.0fs): %s",
                  self.name, at, self.failures, delay, message)
        try:
            with self.engine.begin() as conn:
                checkpoints.record_stall(conn, self.name, at, message, self.failures)
        except Exception:  # noqa: BLE001 - the database itself may be what failed
            log.exception("could not record the stall of %s", self.name)
        self.board.post(self.name, stalled_at=at, error=message)


class Announcement:
    """What a commit that moves runners tells other processes: their new positions, and those of the
    runners of this process that moved in memory only (no rows of theirs to write) and that the others
    have not heard of. Once the commit is through, ``told()`` records that they have."""

    def __init__(self, moving: Sequence[tuple[Runner, int]], runners: Collection[Runner]) -> None:
        besides = [r for r, _ in moving]
        self._others = [(r, r.position) for r in runners
                        if r not in besides and r.announced != r.position and r.stalled_at is None]
        self.notice = [{"n": r.name, "p": p, "s": None} for r, p in [*moving, *self._others]]

    def told(self) -> None:
        for r, p in self._others:
            r.announced = max(r.announced, p)


def _transient_reason(error: BaseException) -> str:
    """What went wrong, for the log: a transaction PostgreSQL rolled back to break a deadlock or a
    serialisation conflict (40xxx) is not an unreachable database."""
    cause = getattr(error, "orig", None) or error
    if (getattr(cause, "sqlstate", None) or "").startswith("40"):
        return "was rolled back by the database to resolve a conflict with another transaction"
    return "could not reach the database"
