"""The projections of one process: set up, run in the background, caught up on demand, reported.

``start`` runs one thread per projection (only those this process holds the
lease for apply events; the others stand by) and, on PostgreSQL, one listener.
``catch_up`` applies everything inline, for the CLI and tests. Readers wait on
the board; ``status`` reports each projection's position, lag and stall.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from citynet.services.projections import checkpoints
from citynet.services.projections.board import PositionBoard
from citynet.services.projections.runner import Decoder, Progress, Projection, Runner
from citynet.services.projections.wakeup import Leases, Listener

log = logging.getLogger(__name__)

LEASE_RETRY_SECONDS = 2.0


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int
    stalled_at: int | None
    error: str | None
    failures: int

    @property
    def lag(self) -> int:
        """Events stored but not yet applied (positions have gaps, so an upper bound)."""
        return max(0, self.head - self.position)

    @property
    def state(self) -> str:
        if self.stalled_at is not None:
            return "stalled"
        return "current" if self.position >= self.head else "catching_up"


class ProjectionEngine:
    def __init__(self, app: Any, engine: Engine, projections: Sequence[Projection], metadata: Sequence[MetaData],
                 dsn: str | None, events_channel: str | None, poll_seconds: float = 1.0) -> None:
        self.app = app
        self.engine = engine
        self.projections = list(projections)
        self.metadata = list(metadata)
        self.dsn = dsn  # PostgreSQL only: listener and leases
        self.events_channel = events_channel
        self.poll_seconds = poll_seconds
        self.board = PositionBoard()
        self.decoder = Decoder(app.mapper)
        self.runners = {p.name: Runner(p, engine, app.recorder, self.decoder, self.board) for p in self.projections}
        self.leases = Leases(dsn)
        self._wake: dict[str, threading.Event] = {name: threading.Event() for name in self.runners}
        self._threads: list[threading.Thread] = []
        self._listener: Listener | None = None
        self._stopping = threading.Event()
        self.running = False

    # -- setting up ---------------------------------------------------------------------------

    def setup(self, initial: Callable[[str], int | None] | None = None) -> None:
        """Create tables and checkpoints. A new checkpoint starts where ``initial`` says (for data
        written before projections kept positions of their own), else at 0."""
        for md in self.metadata:
            md.create_all(self.engine)
        with self.engine.begin() as conn:
            legacy = checkpoints.legacy_position(conn)
            for name in self.runners:
                start = initial(name) if initial else None
                checkpoints.ensure(conn, name, start if start is not None else (legacy or 0))
        for runner in self.runners.values():
            runner.load_position()
        self.board.saw_head(self.head())

    # -- running ------------------------------------------------------------------------------------

    def poke(self, position: int | None = None) -> None:
        """New events were committed (in this process, or announced by another)."""
        if position is not None:
            self.board.saw_head(position)
        for event in self._wake.values():
            event.set()

    def start(self, apply: bool = True) -> None:
        """Run in the background: apply projections (unless ``apply`` is False) and follow positions."""
        self.running = apply
        self._stopping.clear()
        if apply:
            for name, runner in self.runners.items():
                t = threading.Thread(target=self._run, args=(runner,), name=f"citynet-projection-{name}", daemon=True)
                t.start()
                self._threads.append(t)
        if self.dsn and self.events_channel:
            self._listener = Listener(self.dsn, self.events_channel, self.board, self.poke, self.refresh,
                                     self.poll_seconds)
            self._listener.start()
            self._listener.connected.wait(5)
        elif not apply:
            t = threading.Thread(target=self._follow, name="citynet-positions", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stopping.set()
        self.poke()
        for t in self._threads:
            t.join(timeout=10)
        self._threads.clear()
        if self._listener:
            self._listener.stop()
            self._listener = None
        self.leases.release_all()
        self.running = False

    def _run(self, runner: Runner) -> None:
        wake = self._wake[runner.name]
        while not self._stopping.is_set():
            timeout = self.poll_seconds
            if self.leases.holds(runner.name):
                try:
                    with runner._lock:
                        while not self._stopping.is_set() and runner.step():
                            pass
                except Exception:  # noqa: BLE001 - the log or the database is unreachable: try again
                    log.exception("projection %s could not read the log; retrying", runner.name)
                    timeout = max(timeout, LEASE_RETRY_SECONDS)
                if runner.stalled_at is not None:
                    timeout = min(timeout, 0.5)  # come back for the retry the runner scheduled
            else:
                timeout = LEASE_RETRY_SECONDS  # another process runs it; be ready to take over
                self.refresh_one(runner)
            wake.wait(timeout)
            wake.clear()

    def _follow(self) -> None:
        """Serving without projecting on SQLite: read positions from the database now and then."""
        while not self._stopping.wait(self.poll_seconds):
            self.refresh()

    def refresh(self) -> None:
        try:
            with self.engine.connect() as conn:
                for cp in checkpoints.read_all(conn).values():
                    self.board.post(cp.name, cp.position, cp.stalled_at, cp.error)
            self.board.saw_head(self.head())
        except Exception:  # noqa: BLE001
            log.warning("could not refresh projection positions", exc_info=True)

    def refresh_one(self, runner: Runner) -> None:
        try:
            runner.load_position()
        except Exception:  # noqa: BLE001
            log.warning("could not read the position of %s", runner.name, exc_info=True)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply every projection up to the head, in this thread; returns the lowest position reached."""
        positions = [r.catch_up(progress=progress) for r in self.runners.values()]
        return min(positions) if positions else 0

    # -- reading ------------------------------------------------------------------------------------

    def head(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        self.board.saw_head(head)
        return head

    @property
    def known_position(self) -> int:
        """What every healthy projection has reached, as this process knows (no I/O)."""
        return self.board.reached()

    def position(self) -> int:
        self.refresh()
        return self.board.reached()

    def wait_for(self, position: int, timeout: float) -> bool:
        if not self.running and self.board.reached() < position:
            self.catch_up()
        return self.board.wait(position, timeout)

    async def wait_async(self, position: int, timeout: float) -> bool:
        return await self.board.wait_async(position, timeout)

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        with self.engine.connect() as conn:
            stored = checkpoints.read_all(conn)
        out = []
        for name in self.runners:
            cp = stored.get(name) or checkpoints.Checkpoint(name, 0)
            out.append(ProjectionStatus(name, cp.position, head, cp.stalled_at, cp.error, cp.failures))
        return out
