"""Positions of the projections as this process knows them, and waits on them.

Runners in this process post here after each committed batch; on PostgreSQL a
listener posts what runners in other processes announce. Readers wait for a
position without holding a thread (asyncio futures resolved from whichever
thread posts) and with a bound. A stalled projection does not hold waits up:
waiting would not help, and the reply says it is stalled instead.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field


@dataclass
class Standing:
    position: int = 0
    stalled_at: int | None = None
    error: str | None = None
    generation: int = 0  # rebuilds swapped in: rows may change without the position moving


@dataclass
class _Waiter:
    target: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[bool]


@dataclass
class PositionBoard:
    standings: dict[str, Standing] = field(default_factory=dict)
    head: int = 0  # the highest event position this process has seen committed
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _waiters: list[_Waiter] = field(default_factory=list)

    def register(self, name: str) -> None:
        with self._lock:
            self.standings.setdefault(name, Standing())

    def post(self, name: str, position: int | None = None, stalled_at: int | None = None,
             error: str | None = None, *, head: int | None = None, rebuilt: bool = False) -> None:
        with self._lock:
            s = self.standings.setdefault(name, Standing())
            if rebuilt:
                s.generation += 1
            if position is not None and position >= s.position:
                s.position = position
                if s.stalled_at is not None and position >= s.stalled_at:
                    s.stalled_at, s.error = None, None
            if stalled_at is not None:
                s.stalled_at, s.error = stalled_at, error
            self.head = max(self.head, head or 0, s.position)
            self._lock.notify_all()
            self._release()

    def saw_head(self, head: int) -> None:
        with self._lock:
            self.head = max(self.head, head)

    def version(self, name: str) -> tuple[int, int] | None:
        """What a projection's rows are a function of, as this process knows (no I/O): its position and
        how many rebuilds were swapped in. Rows read after seeing a version are at least that new.
        None for a projection this board does not know."""
        s = self.standings.get(name)
        return None if s is None else (s.position, s.generation)

    def versions(self) -> tuple[tuple[str, int, int], ...]:
        """Every projection's version (no I/O): what all read-model rows are a function of. Unlike
        ``reached`` (the lowest healthy position), it moves whenever any projection's rows may have
        changed: a stalled projection that recovers moves it even if the lowest position stays."""
        return tuple((n, s.position, s.generation) for n, s in sorted(self.standings.items()))

    def reached(self) -> int:
        """The position every healthy projection has reached (stalled ones are skipped)."""
        healthy = [s.position for s in self.standings.values() if s.stalled_at is None]
        if not healthy:
            return self.head if self.standings else 0
        return min(healthy)

    def includes(self, position: int) -> bool:
        """Whether every projection, stalled ones too, has applied ``position`` (``reached`` skips the
        stalled, so that waits do not hang on them; a reply must not claim what they lack)."""
        with self._lock:
            return all(s.position >= position for s in self.standings.values())

    def lagging(self) -> dict[str, Standing]:
        """Projections behind the head or stalled, for readers to be told."""
        return {n: Standing(s.position, s.stalled_at, s.error) for n, s in self.standings.items()
                if s.stalled_at is not None or s.position < self.head}

    def wait(self, target: int, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self.reached() >= target, timeout)

    async def wait_async(self, target: int, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.reached() >= target:
                return True
            waiter = _Waiter(target, loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        except asyncio.TimeoutError:
            return False
        finally:
            with self._lock:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def _release(self) -> None:
        reached = self.reached()
        keep: list[_Waiter] = []
        due: dict[asyncio.AbstractEventLoop, list[asyncio.Future[bool]]] = {}
        for w in self._waiters:
            if w.target <= reached:
                due.setdefault(w.loop, []).append(w.future)
            else:
                keep.append(w)
        self._waiters = keep
        # One wake-up per event loop, however many of its waits a post releases (each call wrote to the
        # loop's wake-up pipe: under load a round released several mutations' waits at once).
        for loop, futures in due.items():
            try:
                loop.call_soon_threadsafe(_resolve, futures)
            except RuntimeError:  # its loop is closed: nobody is waiting any more
                pass


def _resolve(futures: list[asyncio.Future[bool]]) -> None:
    for future in futures:
        if not future.done():
            future.set_result(True)
