"""The PostgreSQL event store's recorder: eventsourcing's own, with group commit and its fixed statements
composed once. Chosen by ``APPLICATION_RECORDER_TOPIC`` (services/storage.py).

Group commit. eventsourcing serialises every insert behind an exclusive table lock (so that positions
are committed in order), so concurrent commands of one process queued in PostgreSQL, each with its own
lock, insert, NOTIFY and flushed commit, and each holding the lock while its thread waited for the
interpreter lock to send COMMIT. Here the commands of a process take turns as writer instead: whoever
writes takes every insert waiting at that moment and stores them in one transaction (one lock, one
NOTIFY, one flush), in the order they came; each command gets back the positions of its own events.
Atomicity stays per command: if the joint insert fails on a uniqueness check (two commands changed the
same record, or a record registered twice), nothing of it is stored and each command's insert is tried
on its own, so only the commands that conflict get the IntegrityError (the command bus then decides
again on fresh state), exactly as without grouping.

A commit whose answer was lost. eventsourcing retries an insert whose connection failed, but a connection
can fail after the server committed (a backend terminated during COMMIT: the commit is durable, the client
sees "terminating connection"). The retry then finds its own rows and fails on the uniqueness check, and the
command bus, re-running the command on fresh state, reported a committed command as failed (AlreadyExists,
AlreadyMember...): with group commit, every command of the group. So an insert is retried here, and a
uniqueness failure after a failed attempt first checks whether exactly these events (byte for byte: they
carry their command's timestamp and correlation id) are stored; if so, the first attempt committed, and
their positions are the answer.

One round trip. eventsourcing sends a transaction's statements in a pipeline, waits for the insert's
answer, then sends COMMIT: the exclusive lock was held over two round trips and, in a busy process,
over the writing thread's wait for the interpreter lock in between. Here BEGIN, the lock, NOTIFY, the
insert and COMMIT go in one pipeline with one sync, and the lock is held only while PostgreSQL runs
them (``_insert_once``). Positions stay committed in the order they were issued: the lock is taken
before the insert draws them, and released by the COMMIT, as before.

Statements. eventsourcing keeps the statements every insert runs (the table lock, the insert, the
NOTIFY) and the head query as psycopg ``Composed`` objects, which psycopg turned into bytes again on
every execution: a sixth of a command's own CPU time. Here they are rendered once.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
import psycopg
from psycopg.pq import TransactionStatus
from psycopg.sql import SQL, Composable, Identifier


_ATTEMPTS = 10  # as eventsourcing's own retry of an insert
_LOST = (InterfaceError, OperationalError)  # the connection failed: the insert may or may not have committed


def _rendered(statement: Any) -> Any:
    return statement.as_bytes(None) if isinstance(statement, Composable) else statement


class _Insert:
    """One command's events, waiting for a writer; then their positions or the error."""

    __slots__ = ("events", "ids", "error", "done")

    def __init__(self, events: Sequence[StoredEvent]) -> None:
        self.events = events
        self.ids: Sequence[int] | None = None
        self.error: BaseException | None = None
        self.done = False


class CitynetRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_events_statement = _rendered(self.insert_events_statement)
        self.lock_table_statements = [_rendered(s) for s in self.lock_table_statements]
        self.max_notification_id_statement = _rendered(self.max_notification_id_statement)
        self._notify_statement = SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_bytes(None)
        self._writer = threading.Lock()  # held by the thread writing the waiting inserts
        self._waiting_lock = threading.Lock()
        self._waiting: list[_Insert] = []
        self.groups = 0  # joint transactions written (for tests and benchmarks)

    def _notify_channel(self, curs: Any) -> None:
        curs.execute(self._notify_statement)

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        # (eventsourcing passes ``tracking=None`` for an application's own saves: those are grouped.)
        if any(v is not None for v in kwargs.values()) or not stored_events or self.datastore.enable_db_functions:
            return super().insert_events(stored_events, **kwargs)  # (eventsourcing's own retries)
        mine = _Insert(stored_events)
        with self._waiting_lock:
            self._waiting.append(mine)
        with self._writer:
            if not mine.done:  # nobody took it while we waited: write it, and whatever waits with it
                with self._waiting_lock:
                    group, self._waiting = self._waiting, []
                try:
                    self._write(group, **kwargs)
                except BaseException as error:  # (an interrupt): no insert of the group may pass for stored
                    for insert in group:
                        if not insert.done:
                            insert.error, insert.done = RuntimeError(f"the insert was interrupted: {error!r}"), True
                    raise
        if mine.error is not None:
            raise mine.error
        return mine.ids

    def _write(self, group: list[_Insert], **kwargs: Any) -> None:
        if len(group) > 1:
            try:
                ids = self._insert([event for insert in group for event in insert.events], **kwargs)
            except IntegrityError:
                pass  # one of them conflicts: each on its own below, so that only that one fails
            except Exception as error:  # noqa: BLE001 - the database, not an insert: all of them fail
                for insert in group:
                    insert.error = type(error)(*error.args)
                    insert.error.__cause__ = error
                    insert.done = True
                return
            else:
                assert ids is not None and len(ids) == sum(len(i.events) for i in group)
                start = 0
                for insert in group:
                    insert.ids, start = ids[start:start + len(insert.events)], start + len(insert.events)
                    insert.done = True
                self.groups += 1
                return
        for insert in group:
            try:
                insert.ids = self._insert(insert.events, **kwargs)
            except Exception as error:  # noqa: BLE001 - raised in the command's own thread
                insert.error = error
            insert.done = True

    def _insert(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """eventsourcing's insert, retried when the connection fails; an insert found committed by an
        attempt whose answer was lost returns its positions instead of failing on its own rows."""
        lost = False
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return self._insert_once(stored_events, **kwargs)
            except _LOST:
                if attempt == _ATTEMPTS:
                    raise
                lost = True
                time.sleep(0.2 * (1 + 0.1 * (random.random() - 0.5)))  # noqa: S311 - jitter
            except IntegrityError:
                if lost:
                    ids = self._stored_ids(stored_events)
                    if ids is not None:
                        return ids
                raise
        raise AssertionError("unreachable")

    def _insert_once(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:
        """One transaction in one round trip (the module's "One round trip"). A refused insert (a
        uniqueness check) makes PostgreSQL skip the COMMIT; the transaction is then rolled back, and the
        error raised as eventsourcing's."""
        rows = [self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
                for e in stored_events]
        failed: psycopg.Error | None = None
        with self.datastore.get_connection() as conn:  # (autocommit: the transaction is spelt out)
            with conn.pipeline() as pipeline, conn.cursor() as curs, conn.cursor() as inserted:
                try:
                    curs.execute(b"BEGIN")
                    for statement in self.lock_table_statements:
                        curs.execute(statement, prepare=True)
                    curs.execute(self._notify_statement)
                    inserted.execute(self.insert_events_statement, (rows,), prepare=True)
                    curs.execute(b"COMMIT")
                    pipeline.sync()
                    ids = [row["notification_id"] for row in inserted.fetchall()]
                except psycopg.Error as error:  # raised after the pipeline, which would warn otherwise
                    failed = error
            if failed is not None:
                if not conn.closed and conn.pgconn.transaction_status != TransactionStatus.IDLE:
                    conn.execute(b"ROLLBACK")
                raise failed  # (as eventsourcing's error: the connection's context translates it)
        return ids

    def _stored_ids(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The positions of exactly these events if they are all stored as given, else None."""
        rows = self._stored_rows(stored_events)
        ids = []
        for event in stored_events:
            row = rows.get((uuid.UUID(str(event.originator_id)), event.originator_version))
            if row is None or row["topic"] != event.topic or bytes(row["state"]) != bytes(event.state):
                return None
            ids.append(row["notification_id"])
        return ids

    @retry(_LOST, max_attempts=_ATTEMPTS, wait=0.2)  # as the recorder's own reads
    def _stored_rows(self, stored_events: Sequence[StoredEvent]) -> dict[tuple[uuid.UUID, int], Any]:
        """The stored rows at these events' (record, version), whatever they hold."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            # Only these versions: a record with a long history is not read whole.
            curs.execute(SQL("SELECT e.originator_id, e.originator_version, e.topic, e.state, e.notification_id "
                             "FROM {0}.{1} AS e JOIN unnest(%s::uuid[], %s::int[]) AS w(id, version) "
                             "ON e.originator_id = w.id AND e.originator_version = w.version").format(
                                 Identifier(self.datastore.schema), Identifier(self.events_table_name)),
                         ([uuid.UUID(str(e.originator_id)) for e in stored_events],
                          [e.originator_version for e in stored_events]))
            return {(uuid.UUID(str(r["originator_id"])), r["originator_version"]): r for r in curs.fetchall()}
