"""Wires one database into the application, the projector and the read model.

This is the service layer's front door: the API and the CLI call
``Citynet.execute`` for commands (which returns only once the read models
include the change, so a client reads its own writes) and use
``Citynet.reads`` for queries.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from uuid import UUID

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from citynet.services import authz, delegates, idle_ping
from citynet.services.audit_chain import ChainProjection, audit_metadata, chain_head_position
from citynet.services.application import CitynetApplication, Recorded
from citynet.services.clock import Clock, SystemClock
from citynet.services.commands.bus import CommandBus
from citynet.services.projections.checkpoints import checkpoint_metadata
from citynet.services.projections.engine import ProjectionEngine
from citynet.services.people import PeopleVault
from citynet.services.readmodel.agreement_projection import AgreementProjection
from citynet.services.readmodel.directory import DirectoryProjection
from citynet.services.readmodel.event_log_projection import EventLogProjection
from citynet.services.readmodel.project_projection import ProjectProjection
from citynet.services.readmodel.translation_projection import TranslationProjection
from citynet.services.readmodel.workshop_projection import WorkshopProjection
from citynet.services.readmodel.queries import ReadModel
from citynet.services.readmodel.row_cache import RowCache
from citynet.services.readmodel.tables import metadata as read_model_metadata
from citynet.services.storage import Storage, parse_database_url

R = TypeVar("R")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA secure_delete=ON")  # erased personal data leaves no bytes behind
    cursor.close()


def _engines(storage: Storage) -> tuple[Engine, AsyncEngine]:
    if storage.is_sqlite:
        assert storage.sqlite_path is not None
        storage.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        sync = create_engine(storage.sync_url, connect_args={"timeout": 30})
        event.listen(sync, "connect", _sqlite_pragmas)
        async_engine = create_async_engine(storage.async_url, connect_args={"timeout": 30})
        event.listen(async_engine.sync_engine, "connect", _sqlite_pragmas)
        return sync, async_engine
    sync = create_engine(storage.sync_url, pool_size=4, max_overflow=4, pool_pre_ping=True)
    # The async engine only reads, one statement at a time: autocommit spares a BEGIN and a ROLLBACK
    # round trip per query, and no pre-ping spares another (a connection that died is replaced on
    # its next use's error and recycled anyway after five minutes). That was 3 of 4 round trips.
    async_engine = create_async_engine(storage.async_url, pool_size=8, max_overflow=8, pool_recycle=300,
                                       isolation_level="AUTOCOMMIT")
    return sync, async_engine


def _projection_engine(storage: Storage) -> Engine | None:
    """PostgreSQL: the projections' own connections. Their transactions write derived data only (rows and
    checkpoint together, re-applied from the log after a crash), so their commits do not wait for the WAL
    flush (``synchronous_commit=off``: visible at once all the same; a crash loses at most the last
    moments of rows and checkpoint together). No pre-ping: a dead connection fails the batch, which the
    runner retries a second later as a transient error."""
    if storage.is_sqlite:
        return None
    return create_engine(storage.sync_url, pool_size=2, max_overflow=2, pool_recycle=300,
                         connect_args={"options": "-c synchronous_commit=off"})


@contextlib.contextmanager
def _setting_up(storage: Storage) -> Iterator[None]:
    """One process at a time creates and checks the tables of a PostgreSQL database: `serve --workers N`,
    `serve --no-projections` and `projections run` started together on a new database otherwise race
    on CREATE TABLE (a unique violation in PostgreSQL's catalogue, even with IF NOT EXISTS) and one of
    them dies at start-up. A session advisory lock on a connection of its own, released once set up."""
    if storage.is_sqlite or not storage.libpq_url:
        yield
        return
    with psycopg.connect(storage.libpq_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext('citynet schema setup'))")
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext('citynet schema setup'))")


class Citynet:
    def __init__(self, database_url: str, clock: Clock | None = None, poll_seconds: float = 1.0,
                 setup: bool = True) -> None:
        """``setup=False``: the tables exist already (a rebuild's worker process); create nothing."""
        self.clock: Clock = clock or SystemClock()
        self.storage = parse_database_url(database_url)
        with _setting_up(self.storage) if setup else contextlib.nullcontext():
            self._open(setup, poll_seconds)

    def _open(self, setup: bool, poll_seconds: float) -> None:
        self.sync_engine, self.async_engine = _engines(self.storage)
        # Event tables first: the projections read them during setup.
        env = self.storage.eventsourcing_env if setup else {**self.storage.eventsourcing_env, "CREATE_TABLE": "false"}
        self.app = CitynetApplication(env=env)
        self.app.clock = self.clock
        self.idle_ping = idle_ping.install(self.app.recorder)
        self.projection_engine = _projection_engine(self.storage) or self.sync_engine
        self.projections = ProjectionEngine(
            self.app, self.projection_engine,
            [DirectoryProjection(), WorkshopProjection(), AgreementProjection(), ProjectProjection(),
             TranslationProjection(),
             EventLogProjection(self.app.mapper.transcoder), ChainProjection()],
            metadata=[read_model_metadata, audit_metadata, checkpoint_metadata],
            dsn=None if self.storage.is_sqlite else self.storage.libpq_url,
            events_channel=getattr(self.app.recorder, "channel_name", None),
            poll_seconds=poll_seconds,
        )
        self.projector = self.projections  # the name of the first release, still used by tools and tests
        if setup:
            self.projections.setup(initial=self._initial_position)
        else:
            self.projections.load()
        self.app.on_recorded = self._recorded
        self.people = PeopleVault(self.sync_engine)
        if setup:
            self.people.setup()
        self.reads = ReadModel(self.async_engine, RowCache(self.projections.board.version))
        self.bus = CommandBus(self)  # the one entry point for commands (services/commands/bus.py)
        # SQLite has one writer at a time anyway; queueing commands here keeps
        # waiting writers from holding every event-store connection while the
        # projector needs one. PostgreSQL writers run concurrently.
        self._write_lock: threading.Lock | contextlib.nullcontext[None] = (
            threading.Lock() if self.storage.is_sqlite else contextlib.nullcontext()
        )

    def execute(self, command: Callable[[CitynetApplication], R]) -> R:
        """Run a command. Its events are committed when this returns; the projections follow
        in the background (readers wait on the position), or inline when none run in this process."""
        with self._write_lock:
            return command(self.app)

    def _recorded(self, position: int) -> None:
        self.projections.poke(position)
        if not self.projections.started:
            try:
                self.projections.catch_up()
            except Exception:  # noqa: BLE001 - the command is committed; projections retry later
                logging.getLogger(__name__).exception("inline projection failed; the events are stored")

    def _initial_position(self, name: str) -> int | None:
        if name == ChainProjection.name:  # the chain's position is its own head
            with self.sync_engine.connect() as conn:
                return chain_head_position(conn)
        return None

    def projection_status(self, actor: Any) -> list[Any]:
        """Each projection's position, lag and stall: for admins and auditors."""
        from citynet.domain.errors import NotAllowed

        if not authz.can_read_history(actor):
            raise NotAllowed("projections:read", "only admins and auditors see the projections' status")
        return self.projections.status()

    def read_position(self) -> int:
        """The log position every healthy read model is known to include (no I/O): a cache key for reads."""
        return self.projections.known_position

    def read_version(self) -> tuple[tuple[str, int, int], ...]:
        """What every read-model row is a function of, as this process knows (no I/O): each
        projection's position and rebuild count. The exact cache key for answers built from rows."""
        return self.projections.board.versions()

    async def wait_for_position(self, position: int, timeout: float = 5.0) -> bool:
        """Wait (bounded, holding no thread) until the read models include ``position``; False on timeout."""
        if not self.projections.started and self.projections.known_position < position:
            import anyio.to_thread

            await anyio.to_thread.run_sync(self.projections.catch_up)
        # A stalled projection is not waited on (it may stay stalled until new code is deployed), and a
        # write it has not applied is not reported as read back current.
        return await self.projections.wait_async(position, timeout) and self.projections.board.includes(position)

    def register_delegate(
        self, workshop_id: UUID, city_id: UUID, name: str, email: str, function: str,
        registration_id: UUID | None = None,
    ) -> Recorded:
        """Register a delegate; their name and e-mail go to the personal-data store, not the log."""
        return delegates.register_delegate(self, workshop_id, city_id, name, email, function, registration_id)

    def erase_person(self, person_id: UUID) -> Recorded:
        """Erase a person's name and e-mail for good; the history keeps who erased whom when."""
        return delegates.erase_person(self, person_id)

    def database_reachable(self) -> bool:
        try:
            with self.sync_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def close(self) -> None:
        self.projections.stop()
        self.app.close()
        self.sync_engine.dispose()
        if self.projection_engine is not self.sync_engine:
            self.projection_engine.dispose()

    async def aclose(self) -> None:
        await self.async_engine.dispose()
        self.close()
