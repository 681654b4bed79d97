"""Runs projections over the event log, exactly once, resumably.

The position (the last notification id applied) is stored in a read-model
table and written in the same transaction as the rows the events produced.
A crash anywhere in a batch rolls both back, so the next run starts from the
last committed position: nothing is lost, nothing is applied twice.

Several processes may run projectors on one database (the server, the CLI):
each batch begins by taking a row lock on the position (an UPDATE, which is
also how SQLite takes its write lock), so only one applies a given stretch.
SQLite cannot be a subscription source, so new events are pulled with
``select_notifications``; notification ids have gaps and are used as
positions only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from citynet.services.application import CitynetApplication
from citynet.services.readmodel.tables import metadata, projection_positions

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


class Projection(Protocol):
    name: str

    def apply(self, conn: Connection, event: Any, position: int) -> None: ...


class Projector:
    TRACKING_NAME = "read_models"

    def __init__(
        self,
        app: CitynetApplication,
        engine: Engine,
        projections: Sequence[Projection],
        batch_size: int = 500,
    ) -> None:
        self.app = app
        self.engine = engine
        self.projections = list(projections)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._known = 0

    @property
    def known_position(self) -> int:
        """The last position this process saw committed (no I/O)."""
        return self._known

    def setup(self) -> None:
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            if conn.execute(self._select_position()).first() is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(projection_positions).values(name=self.TRACKING_NAME, position=0))
                except SAIntegrityError:
                    pass  # another process created it first

    def position(self) -> int:
        with self.engine.connect() as conn:
            self._known = int(conn.execute(self._select_position()).scalar_one())
            return self._known

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def catch_up(self, progress: Progress | None = None, upto: int | None = None) -> int:
        """Apply every event recorded after the stored position; return the new position.

        Events are read before the position is locked, so the write lock is
        never held while waiting for an event-store connection (on SQLite,
        writers hold those connections while they wait for the write lock)."""
        with self._lock:
            while True:
                position = self.position()
                notifications = self._select_after(position, upto)
                if not notifications:
                    return position
                with self.engine.begin() as conn:
                    if self._lock_position(conn) != position:
                        continue  # another process applied this stretch; read again
                    self._apply(conn, notifications)
                self._known = notifications[-1].id
                if progress:
                    progress(self._known, self.head())

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the read models include ``position`` (bounded)."""
        deadline = time.monotonic() + timeout
        while self._known < position:
            self.catch_up()
            if self._known >= position:
                break
            if time.monotonic() >= deadline:
                return False
            # Only reached when another process holds a batch in flight.
            time.sleep(0.02)
        return True

    # -- internals ------------------------------------------------------------

    def _select_position(self) -> Any:
        return select(projection_positions.c.position).where(projection_positions.c.name == self.TRACKING_NAME)

    def _lock_position(self, conn: Connection) -> int:
        conn.execute(
            update(projection_positions)
            .where(projection_positions.c.name == self.TRACKING_NAME)
            .values(position=projection_positions.c.position)
        )
        return int(conn.execute(self._select_position()).scalar_one())

    def _select_after(self, position: int, upto: int | None = None) -> Sequence[Any]:
        return self.app.recorder.select_notifications(
            start=position, limit=self.batch_size, stop=upto, inclusive_of_start=False
        )

    def _apply(self, conn: Connection, notifications: Sequence[Any]) -> None:
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            for projection in self.projections:
                if hasattr(projection, "apply_raw"):
                    projection.apply_raw(conn, notification)  # wants the stored bytes, not the object
                else:
                    projection.apply(conn, event, notification.id)
        conn.execute(
            update(projection_positions)
            .where(projection_positions.c.name == self.TRACKING_NAME)
            .values(position=notifications[-1].id)
        )

    def _apply_batch(self, conn: Connection, position: int) -> int | None:
        notifications = self._select_after(position)
        if not notifications:
            return None
        self._apply(conn, notifications)
        return int(notifications[-1].id)


class ProjectorThread(threading.Thread):
    """Keeps the read models current with events written by other processes."""

    def __init__(self, projector: Projector, interval: float) -> None:
        super().__init__(name="citynet-projector", daemon=True)
        self.projector = projector
        self.interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self.projector.catch_up()
            except Exception:  # keep serving; the next round retries from the stored position
                log.exception("projection round failed; will retry")
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)
