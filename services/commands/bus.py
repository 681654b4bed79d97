"""The one entry point for commands: attribution, idempotency, conflict retry, read-your-writes.

``CommandBus.handle`` (async, for the API) and ``CommandBus.run`` (sync, for
the CLI and tests) take a command dataclass and:

1. bind who acts and the command's name for attribution (every stored event
   records actor, correlation id and command);
2. with an idempotency key, answer a request seen before from its receipt
   (and refuse the key when it came with a different request);
3. run the command's one handler; when a concurrent writer changed the same
   records (eventsourcing ``IntegrityError``), run it again on fresh state, a
   bounded number of times, then give up with a typed ``Conflict``;
4. once the events are committed the command has succeeded: the wait for the
   read models is bounded and its failure or timeout is reported in the
   outcome (``current``), never as an error.

A handler that ends with an error its command does not declare is a bug: the
bus raises ``TypeError`` rather than answer outside the mutation's union.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

import anyio.to_thread
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import retry
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError as SQLInterfaceError, OperationalError as SQLOperationalError

from citynet.domain.errors import DomainError
from citynet.services.application import Recorded
from citynet.services.attribution import Actor, acting, current
from citynet.services.commands import directory, workshops, agreements, projects, translations  # noqa: F401 - registers handlers
from citynet.services.commands import receipts
from citynet.services.commands.base import HANDLERS, Command
from citynet.services.errors import Conflict, IdempotencyKeyReused

if TYPE_CHECKING:
    from citynet.services.runtime import Citynet

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


@dataclass(frozen=True)
class Outcome:
    """A committed command: the record it touched and the position of its last event.

    ``current`` says whether the read models included that position when the
    bus answered (False when they lag or a projection fails: the command has
    succeeded all the same). ``replayed``: answered from an idempotency receipt,
    nothing new stored."""

    id: UUID
    position: int
    current: bool = True
    replayed: bool = False

    @property
    def recorded(self) -> Recorded:
        return Recorded(self.id, self.position)


class CommandBus:
    def __init__(self, citynet: Citynet, read_wait: float = 5.0, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.citynet = citynet
        self.read_wait = read_wait
        self.max_attempts = max_attempts

    async def handle(self, command: Command, *, actor: Actor | None = None,
                     idempotency_key: str | None = None) -> Outcome:
        """Run a command in a worker thread, then wait (bounded, asynchronously) for the read models."""
        ctx = current()
        actor = actor or ctx.actor
        key = receipts.clean_key(idempotency_key) if idempotency_key is not None else None
        with acting(actor, command.command_name(), ctx.correlation_id):
            recorded, replayed = await anyio.to_thread.run_sync(self._run, command, actor, key)
        caught_up = await self._wait(recorded.position)
        return Outcome(recorded.id, recorded.position, caught_up, replayed)

    def run(self, command: Command, *, actor: Actor | None = None, idempotency_key: str | None = None) -> Outcome:
        """The same, synchronously (CLI, demo loader, tests); the read models are brought up to date if they can be."""
        ctx = current()
        actor = actor or ctx.actor
        key = receipts.clean_key(idempotency_key) if idempotency_key is not None else None
        with acting(actor, command.command_name(), ctx.correlation_id):
            recorded, replayed = self._run(command, actor, key)
        try:
            caught_up = self.citynet.projector.wait_for(recorded.position, self.read_wait)
        except Exception:
            log.warning("read models could not catch up to position %s", recorded.position, exc_info=True)
            caught_up = False
        return Outcome(recorded.id, recorded.position, caught_up, replayed)

    # -- internals ---------------------------------------------------------------------------

    def _run(self, command: Command, actor: Actor, key: str | None) -> tuple[Recorded, bool]:
        if key is None:
            return self._attempt(command), False
        app = self.citynet.app
        fingerprint = command.fingerprint()
        # A key belongs to one caller acting in one capacity: the same subject as another city's
        # representative (or with another role) has keys of its own, so a replay never answers
        # a command that capacity may not issue.
        owner = receipts.owner(actor)
        first = receipts.find(app, owner, key)
        if first is not None:
            return self._answer(first, key, fingerprint), True
        try:
            with receipts.expecting(owner, key, command.command_name(), fingerprint, command.result_id()):
                return self._attempt(command), False
        except (DomainError, receipts.ReceiptTaken):
            # A racing request with the same key may have committed meanwhile
            # (our save then failed on its receipt, or the command was refused
            # because the first one's change is already there): answer with it.
            first = receipts.find(app, owner, key)
            if first is None:
                raise
            return self._answer(first, key, fingerprint), True

    def _attempt(self, command: Command) -> Recorded:
        handler = HANDLERS[type(command)]
        for attempt in range(self.max_attempts):
            try:
                return handler(self.citynet, command)
            except IntegrityError:
                # Someone changed the same records since we read them: decide again
                # on fresh state, backing off with jitter so colliding writers spread out.
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
            except DomainError as error:
                self._check_declared(command, error)
                raise
        conflict = Conflict(command.command_name(), self.max_attempts)
        self._check_declared(command, conflict)
        raise conflict

    @staticmethod
    def _check_declared(command: Command, error: DomainError) -> None:
        if not isinstance(error, command.errors()):
            raise TypeError(
                f"{type(command).__name__} ended with {type(error).__name__}, which it does not declare "
                f"(declared: {', '.join(e.__name__ for e in command.errors())})"
            ) from error

    def _answer(self, first: receipts.Receipt, key: str, fingerprint: str) -> Recorded:
        if first.fingerprint != fingerprint:
            raise IdempotencyKeyReused(key, first.command)
        assert first.result_id is not None
        return Recorded(first.result_id, self._position_of(first.id))

    # A connection the server dropped (restart, failover, a terminated backend): read again on another,
    # as the recorder's reads do, rather than answer a replayed command with an unexpected error.
    @retry((SQLOperationalError, SQLInterfaceError), max_attempts=10, wait=0.2)
    def _position_of(self, aggregate_id: UUID) -> int:
        """The log position of a receipt: that of the command it answered (saved in the same transaction)."""
        recorder = self.citynet.app.recorder
        table = recorder.events_table_name  # type: ignore[attr-defined]
        if self.citynet.storage.is_sqlite:
            sql, param = f"SELECT rowid FROM {table} WHERE originator_id = :id AND originator_version = 1", aggregate_id.hex
        else:
            sql, param = (f"SELECT notification_id FROM {table} WHERE originator_id = :id AND originator_version = 1",
                          aggregate_id)
        with self.citynet.sync_engine.connect() as conn:
            return int(conn.execute(text(sql), {"id": param}).scalar_one())

    async def _wait(self, position: int) -> bool:
        try:
            return await self.citynet.wait_for_position(position, self.read_wait)
        except Exception:
            # Committed is committed: a failing projection is reported by its own status, not here.
            log.warning("read models could not catch up to position %s", position, exc_info=True)
            return False
