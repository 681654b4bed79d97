"""What wakes the runners and the waiting readers, and who may run a projection.

- In this process, a command that stores events pokes the runners at once.
- On PostgreSQL, a listener (one connection per process) LISTENs to the event
  store's channel (eventsourcing NOTIFYs on every insert) and to the channel
  where runners announce their positions. A notification is a wake-up only:
  runners always re-read the log by position. Polling stays as a fallback.
- On PostgreSQL, at most one process applies a given projection: its runner
  holds a session-level advisory lock on a connection of its own (one per
  process for all its projections). A killed holder's session ends and the
  lock is free at once; the others try again every few seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable

import psycopg

from citynet.services.projections.board import PositionBoard
from citynet.services.projections.checkpoints import POSITIONS_CHANNEL

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a projection name."""
    return int.from_bytes(hashlib.sha256(f"citynet-projection:{name}".encode()).digest()[:8], "big", signed=True)


class Leases:
    """Advisory locks of the projections this process runs (PostgreSQL)."""

    def __init__(self, dsn: str | None, recheck_seconds: float = 2.0) -> None:
        self.dsn = dsn
        self.recheck_seconds = recheck_seconds
        self._conn: psycopg.Connection | None = None
        self._held: set[str] = set()
        self._checked = 0.0
        self._tried: dict[str, float] = {}
        self._lock = threading.Lock()

    def holds(self, name: str) -> bool:
        """True if this process may apply ``name`` now (takes the lock when free). A held lease is
        re-checked every few seconds; in between, the compare-and-set on the checkpoint keeps a
        lost lease from applying anything twice."""
        if self.dsn is None:
            return True  # SQLite: one process; compare-and-set on the position guards the rest
        with self._lock:
            try:
                if self._conn is None or self._conn.closed:
                    self._held.clear()
                    self._conn = psycopg.connect(self.dsn, autocommit=True, application_name="citynet-leases")
                if name in self._held:
                    now = time.monotonic()
                    if now - self._checked > self.recheck_seconds:
                        self._conn.execute("SELECT 1")  # still alive: the session, and so the lock, is ours
                        self._checked = now
                    return True
                now = time.monotonic()
                if now - self._tried.get(name, 0.0) < self.recheck_seconds:
                    return False  # another process holds it; ask again in a moment
                self._tried[name] = now
                got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
                if got and got[0]:
                    self._held.add(name)
                    log.info("this process now runs projection %s", name)
                    return True
                return False
            except psycopg.Error:
                log.warning("lost the projection leases' connection; will try again")
                self._drop()
                return False

    def release_all(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        self._held.clear()
        self._tried.clear()
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
        self._conn = None


class Listener(threading.Thread):
    """LISTENs for new events and announced positions; pokes runners and posts to the board."""

    def __init__(self, dsn: str, events_channel: str, board: PositionBoard, poke: Callable[[], None],
                 refresh: Callable[[], None], interval: float) -> None:
        super().__init__(name="citynet-listener", daemon=True)
        self.dsn = dsn
        self.events_channel = events_channel
        self.board = board
        self.poke = poke
        self.refresh = refresh  # re-read positions from the database (fallback for lost notifications)
        self.interval = interval
        self._stop_event = threading.Event()
        self.connected = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, application_name="citynet-listener") as conn:
                    conn.execute(f'LISTEN "{self.events_channel}"')
                    conn.execute(f'LISTEN "{POSITIONS_CHANNEL}"')
                    self.connected.set()
                    self.refresh()  # what happened before we listened
                    while not self._stop_event.is_set():
                        got = False
                        for note in conn.notifies(timeout=self.interval, stop_after=64):
                            got = True
                            self._handle(note.channel, note.payload)
                        if not got:
                            self.refresh()
            except psycopg.Error:
                self.connected.clear()
                log.warning("listener lost its connection; reconnecting")
                self._stop_event.wait(1.0)

    def _handle(self, channel: str, payload: str) -> None:
        if channel == POSITIONS_CHANNEL:
            try:
                data = json.loads(payload)
                for standing in data if isinstance(data, list) else [data]:
                    self.board.post(standing["n"], standing.get("p"), standing.get("s"), rebuilt=bool(standing.get("r")))
            except (ValueError, KeyError, TypeError):
                log.warning("ignored a malformed position notice: %r", payload[:200])
        else:
            self.poke()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
