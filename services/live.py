"""Live updates: the events the read models have just taken in, fanned out to subscribers.

One ``LiveFeed`` per process and event loop. It waits on the position board (runners in this
process post there; on PostgreSQL the listener posts what other processes' runners announce),
reads each new stretch of the event log ONCE from ``rm_event_log`` by position, and hands every
row to the subscribers of its aggregate (or of everything, for the auditors' tail). Runners
apply, then announce: once the board says the event log reached ``p``, every read model the
subscriber renders includes ``p`` too.

A subscriber that resumes ``after`` a position is first served from the log (by position, in
pages) and joins the live fan-out at the exact position the feed has dispatched up to, with no
await in between: no gap, no duplicate. Each live subscriber has a bounded queue; one that does
not keep up is dropped (``SlowConsumer``) instead of being buffered without bound.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from datetime import timezone
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, select
from citynet.domain.errors import InvalidInput
from citynet.domain.translation import Translations

from citynet.services.readmodel.audit_queries import EventFilter, EventRow
from citynet.services.readmodel.tables import event_log

log = logging.getLogger(__name__)

EVENT_LOG = "event_log"  # the projection whose table the feed reads
PAGE = 500


class SlowConsumer(Exception):
    """A live subscriber fell more than its queue's size behind; it must reconnect with ``after``."""

    def __init__(self, queued: int) -> None:
        super().__init__(f"slow consumer: more than {queued} undelivered updates; resubscribe with `after`")
        self.queued = queued


def _row(r: Any) -> EventRow:
    return EventRow(r.position, r.originator_id, r.originator_version, r.aggregate_type, r.event_type,
                    r.recorded_at, r.actor_id, r.actor_role, r.actor_city_id, r.correlation_id, r.causation_id,
                    r.command, json.loads(r.data))


def with_translations(keys: frozenset[str] | None) -> frozenset[str] | None:
    """The aggregates whose events change these objects as subscribers see them: each object's own, and
    its translations (a workshop's title in German is the workshop's news; a review found live clients
    kept the old title until the workshop's next event)."""
    if keys is None:
        return None
    more = set(keys)
    for key in keys:
        try:
            more.add(str(Translations.create_id(UUID(key))))
        except ValueError:
            continue
    return frozenset(more)


def _utc_text(moment: Any) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def matches(f: EventFilter, row: EventRow) -> bool:
    """The ``events`` query's filter applied to one row (call ``f.conditions()`` once first: it validates)."""
    for wanted, value in ((f.aggregate_id, row.originator_id), (f.aggregate_type, row.aggregate_type),
                          (f.event_type, row.event_type), (f.actor_id, row.actor_id), (f.city_id, row.actor_city_id)):
        if wanted is not None and wanted != value:
            return False
    # Stored as ISO 8601 UTC text, which sorts as time does (as the query compares it).
    if f.since is not None and row.recorded_at < _utc_text(f.since):
        return False
    return not (f.until is not None and row.recorded_at > _utc_text(f.until))


@dataclass(eq=False)
class _Subscriber:
    keys: frozenset[str] | None  # aggregate ids; None: every event
    accept: Callable[[EventRow], bool]
    queue: asyncio.Queue[EventRow]
    on_overflow: Callable[[SlowConsumer], None] | None
    overflow: SlowConsumer | None = None


@dataclass(eq=False)
class LiveFeed:
    citynet: Any  # services.runtime.Citynet
    queue_size: int = 256
    dispatched: int = 0  # every event up to here has been handed to the live subscribers
    _by_key: dict[str, set[_Subscriber]] = field(default_factory=dict)
    _everything: set[_Subscriber] = field(default_factory=set)
    _pump: asyncio.Task[None] | None = None

    @property
    def subscriber_count(self) -> int:
        return len(self._everything) + sum(len(s) for s in self._by_key.values())

    def readable(self) -> int:
        """How far the event log table (and every healthy read model) is known to be written."""
        board = self.citynet.projections.board
        standing = board.standings.get(EVENT_LOG)
        own = standing.position if standing is not None else 0
        return min(board.reached(), own)

    def _start(self, jump: bool) -> None:
        if self._pump is None or self._pump.done():
            if jump:  # nobody is live: nothing before here is owed to anyone (catch-ups read the log)
                self.dispatched = max(self.dispatched, self.readable())
            self._pump = asyncio.get_running_loop().create_task(self._run(), name="citynet-live-feed")

    async def _run(self) -> None:
        board = self.citynet.projections.board
        while True:
            if not await board.wait_async(self.dispatched + 1, timeout=30.0):
                continue
            upto = self.readable()
            if upto <= self.dispatched:
                # Only when the event log projection is stalled (the board skips it): retry it slowly.
                await asyncio.sleep(1.0)
                continue
            try:
                await self._dispatch(upto)
            except Exception:  # noqa: BLE001 - a failed read is retried; subscribers keep waiting
                log.exception("live feed could not read the event log up to %s", upto)
                await asyncio.sleep(1.0)

    async def _dispatch(self, upto: int) -> None:
        while self.dispatched < upto:
            rows = await self._read(self.dispatched, upto, None)
            last = rows[-1].position if len(rows) == PAGE else upto
            for row in rows:
                for sub in (*self._everything, *self._by_key.get(row.originator_id, ())):
                    self._offer(sub, row)
            self.dispatched = last

    def _offer(self, sub: _Subscriber, row: EventRow) -> None:
        if sub.overflow is not None or not sub.accept(row):
            return
        try:
            sub.queue.put_nowait(row)
        except asyncio.QueueFull:
            sub.overflow = SlowConsumer(self.queue_size)
            self._remove(sub)
            if sub.on_overflow is not None:
                sub.on_overflow(sub.overflow)

    async def _read(self, after: int, upto: int, keys: frozenset[str] | None) -> list[EventRow]:
        conditions = [event_log.c.position > after, event_log.c.position <= upto]
        if keys is not None:
            conditions.append(event_log.c.originator_id.in_(sorted(keys)))
        statement = select(event_log).where(and_(*conditions)).order_by(event_log.c.position).limit(PAGE)
        async with self.citynet.reads.engine.connect() as conn:
            return [_row(r) for r in (await conn.execute(statement)).all()]

    def _add(self, sub: _Subscriber) -> None:
        if sub.keys is None:
            self._everything.add(sub)
        else:
            for key in sub.keys:
                self._by_key.setdefault(key, set()).add(sub)

    def _remove(self, sub: _Subscriber) -> None:
        self._everything.discard(sub)
        for key in sub.keys or ():
            subs = self._by_key.get(key)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_key[key]

    async def replay_from(self, keys: frozenset[str], after: int | None, limit: int | None = None) -> tuple[int | None, int]:
        """Where a resume of these objects' updates starts, and how many of their missed events it skips.

        A message shows its object as it is now, so replaying thousands of missed events renders the
        same state thousands of times (one anonymous stream resumed from 0 cost 23 s of CPU in 120 s).
        Only the newest ``limit`` missed events are delivered one by one; the state they show already
        includes the skipped ones. The auditors' event tail is not limited: each event is its content."""
        limit = limit or _default_max_replay
        keys = with_translations(keys) or keys
        if after is None:
            return None, 0
        await self._check_within_log(after)
        recent = (select(event_log.c.position)
                  .where(event_log.c.position > after, event_log.c.originator_id.in_(sorted(keys)))
                  .order_by(event_log.c.position.desc()).offset(limit).limit(1))
        async with self.citynet.reads.engine.connect() as conn:
            start = (await conn.execute(recent)).scalar()
            if start is None:
                return after, 0
            skipped = (await conn.execute(select(func.count()).select_from(event_log).where(
                event_log.c.position > after, event_log.c.position <= start,
                event_log.c.originator_id.in_(sorted(keys))))).scalar_one()
        return int(start), int(skipped)

    async def missed(self, keys: frozenset[str], after: int, limit: int | None = None) -> int:
        """How many of these objects' events a resume from ``after`` would replay (at most ``limit``)."""
        limit = limit or _default_max_replay
        keys = with_translations(keys) or keys
        await self._check_within_log(after)
        recent = (select(event_log.c.position)
                  .where(event_log.c.position > after, event_log.c.originator_id.in_(sorted(keys))).limit(limit))
        async with self.citynet.reads.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(recent.subquery()))).scalar_one())

    async def _check_within_log(self, after: int) -> None:
        if after > self.dispatched:
            # A position from another database (or from before a restore) would wait for ever in silence.
            head = await asyncio.to_thread(self.citynet.projections.head)
            if after > head:
                raise InvalidInput("after", f"position {after} is beyond the last event ({head})")

    async def events(self, keys: frozenset[str] | None, after: int | None = None,
                     accept: Callable[[EventRow], bool] = lambda _row: True,
                     on_overflow: Callable[[SlowConsumer], None] | None = None) -> AsyncIterator[EventRow]:
        """The events of these aggregates (all, for None) that ``accept`` takes, in position order:
        those after ``after`` from the log first, then live ones as the read models take them in."""
        if after is not None:
            await self._check_within_log(after)
        keys = with_translations(keys)
        sub = _Subscriber(keys, accept, asyncio.Queue(self.queue_size), on_overflow)
        self._start(jump=True)
        last = self.dispatched if after is None else after
        try:
            # Catch up from the log until level with the feed, then join it with no await in
            # between: the first live row is the first one after ``dispatched``.
            while last < self.dispatched:
                upto = self.dispatched
                rows = await self._read(last, upto, keys)
                for row in rows:
                    if accept(row):
                        yield row
                last = rows[-1].position if len(rows) == PAGE else upto
            self._add(sub)
            self._start(jump=False)  # it stops when nobody is live; it must not skip past ``last`` now
            while True:
                if sub.overflow is not None:
                    raise sub.overflow
                row = await sub.queue.get()
                if row.position <= last:  # resumed beyond what this process had dispatched
                    continue
                last = row.position
                yield row
        finally:
            self._remove(sub)


_default_queue_size = 256
_default_max_replay = 50


def configure(queue_size: int, max_replay: int = 50) -> None:
    """The queue bound of live subscribers in this process (CITYNET_LIVE_QUEUE_SIZE) and how many of an
    object's missed updates a resume delivers one by one (CITYNET_LIVE_MAX_REPLAY)."""
    global _default_queue_size, _default_max_replay
    _default_queue_size = queue_size
    _default_max_replay = max_replay


_feeds: weakref.WeakKeyDictionary[Any, dict[asyncio.AbstractEventLoop, LiveFeed]] = weakref.WeakKeyDictionary()


def live_feed(citynet: Any, queue_size: int | None = None) -> LiveFeed:
    """This process's feed for ``citynet`` on the running event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    per_loop = _feeds.setdefault(citynet, {})
    feed = per_loop.get(loop)
    if feed is None:
        for stale in [lp for lp in per_loop if lp.is_closed()]:
            del per_loop[stale]
        feed = per_loop[loop] = LiveFeed(citynet, queue_size or _default_queue_size)
    elif queue_size:
        feed.queue_size = queue_size
    return feed
