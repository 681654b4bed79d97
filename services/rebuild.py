"""Rebuild and verify read models, one projection or all, safely while the service runs.

Both replay the log from the first event into *shadow tables* (same columns
and keys, named ``rebuild__<table>``, in the same database) without holding
any lock the live service needs, with every row in memory and one multi-row
write per table and batch (COPY on PostgreSQL). Then:

- rebuild swaps the shadow rows in: one transaction that takes the
  projection's checkpoint (so its live runner, here or in another process,
  waits), catches the shadow up to the head, replaces the live rows with the
  shadow's (readers see the old rows until it commits) and moves the
  checkpoint; the runner carries on from there;
- verify catches the shadow up to the live checkpoint, holds it, and compares
  shadow and live rows in key order (streaming), reporting every difference.

One rebuild or verify runs at a time. Each starts by dropping the shadow
tables a crashed run left behind (and the scratch schemas of the first
release). The audit chain and the personal-data store are not read models and
are never touched.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import hashlib
import os
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import psycopg
import psycopg.sql
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.utils import retry
from psycopg.rows import tuple_row
from sqlalchemy import Column, MetaData, String, Table, delete, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.schema import CreateTable
from sqlalchemy.engine import Connection, Engine

from citynet.services.projections import checkpoints
from citynet.services.projections.batch import Batch, Rows, copy_rows, write
from citynet.services.projections.runner import Item, Progress, Projection
from citynet.services.projections.wakeup import lock_key
from citynet.services.runtime import Citynet

SHADOW = "rebuild__"
READ_BATCH = 5000
COPY_CHUNK = 2000


class RebuildBusy(RuntimeError):
    """Another rebuild or verify is running on this database."""


class UnknownProjection(ValueError):
    pass


class RebuildFailed(RuntimeError):
    """Some projections could not be rebuilt (an event they cannot apply); the others were."""

    def __init__(self, failures: dict[str, tuple[int, str]]) -> None:
        self.failures = failures
        super().__init__("; ".join(f"{name} cannot apply the event at position {at}: {error}"
                                   for name, (at, error) in sorted(failures.items())))


def rebuildable(citynet: Citynet, names: Sequence[str] | None = None) -> list[Projection]:
    projections = [p for p in citynet.projections.projections if getattr(p, "rebuildable", True)]
    if names:
        known = {p.name for p in projections}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise UnknownProjection(f"no rebuildable projection named {', '.join(unknown)}; "
                                    f"choose from {', '.join(sorted(known))}")
        projections = [p for p in projections if p.name in names]
    return projections


# -- one at a time, and no leftovers ------------------------------------------------------------


@contextlib.contextmanager
def exclusive(citynet: Citynet) -> Iterator[None]:
    """Hold the database's rebuild lock (advisory lock, or a lock file beside SQLite)."""
    if citynet.storage.is_sqlite:
        assert citynet.storage.sqlite_path is not None
        with open(f"{citynet.storage.sqlite_path}.rebuild.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RebuildBusy("another rebuild or verify is running on this database") from None
            yield
        return
    with citynet.sync_engine.connect() as conn:
        key = lock_key("rebuild")
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            raise RebuildBusy("another rebuild or verify is running on this database")
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


def clean_leftovers(engine: Engine) -> list[str]:
    """Drop shadow tables and scratch schemas of runs that died (call while holding ``exclusive``)."""
    dropped: list[str] = []
    with engine.begin() as conn:
        for name in inspect(conn).get_table_names():
            if name.startswith(SHADOW):
                conn.execute(text(f'DROP TABLE IF EXISTS "{name}"'))
                dropped.append(name)
        if conn.dialect.name == "postgresql":
            for (schema,) in conn.execute(text(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'citynet\\_scratch\\_%'")):
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                dropped.append(schema)
    if engine.dialect.name == "sqlite":
        path = engine.url.database or ""
        folder, base = os.path.split(path)
        for entry in os.listdir(folder or "."):
            if entry.startswith(f"{base}.scratch-"):  # the first release's scratch files
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(folder, entry))
                dropped.append(entry)
    return dropped


def clean_leftovers_if_idle(citynet: Citynet) -> list[str]:
    """At start-up: clean up unless a rebuild is running right now."""
    try:
        with exclusive(citynet):
            return clean_leftovers(citynet.sync_engine)
    except RebuildBusy:
        return []


# -- shadow tables ---------------------------------------------------------------------------------


class Shadow:
    """Shadow copies of a projection's tables: columns, defaults and primary key (secondary indexes are
    built once the rows are in, see ``index_statements``)."""

    def __init__(self, engine: Engine, projection: Projection) -> None:
        self.engine = engine
        self.projection = projection
        self.metadata = MetaData()
        self.tables = {t.name: Table(SHADOW + t.name, self.metadata, *[
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, autoincrement=False,
                   server_default=c.server_default.arg if c.server_default is not None else None)  # type: ignore[attr-defined]
            for c in t.columns]) for t in projection.tables}
        self.batch = Batch(projection.tables, complete=True, shadow=lambda t: self.tables[t.name],
                           adds_only=getattr(projection, "adds_only", False))
        self.position = 0
        self.failed: tuple[int, str] | None = None  # the event it could not apply, and why
        self._renames: list[tuple[str, str, str]] = []  # (live table, shadow index, live index name)

    def __enter__(self) -> Shadow:
        with self.engine.begin() as conn:  # one transaction, no existence check per table
            self._drop(conn)
            for table in self.tables.values():
                conn.execute(CreateTable(table))
        return self

    def __exit__(self, *exc: Any) -> None:
        with self.engine.begin() as conn:
            self._drop(conn)

    def _drop(self, conn: Connection) -> None:
        for table in self.tables.values():  # (swapped-in shadows have the live names now: not these)
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}"'))

    def index_statements(self) -> list[tuple[int, str]]:
        """PostgreSQL: give the filled shadows the live tables' secondary indexes (as the database has
        them), under temporary names; ``swap_into_live`` then renames the
        shadows into place. Building an index over the loaded rows is far cheaper than maintaining
        it row by row, and the swap becomes a few catalogue changes however many rows there are.
        (Planner statistics of the new tables come from autovacuum, as they did for rows copied in.)
        Each statement comes with the number of rows its table holds."""
        names = [t.name for t in self.projection.tables]
        with self.engine.begin() as conn:
            rows = conn.execute(text(
                "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(:names) AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass(quote_ident(i.schemaname) "
                "  || '.' || quote_ident(i.indexname)) AND c.contype = 'p') ORDER BY i.tablename, i.indexname"),
                {"names": names}).all()
        self._renames = []
        statements: list[tuple[int, str]] = []
        for table, index, definition in rows:
            match = _INDEX_DEF.match(definition)
            if match is None:
                raise RuntimeError(f"cannot rebuild index {index} of {table}: {definition}")
            temporary = SHADOW + hashlib.sha1(index.encode()).hexdigest()[:20]  # unique as index names are
            statement = f'CREATE {match["unique"] or ""}INDEX "{temporary}" ON "{self.tables[table].name}" {match["rest"]}'
            statements.append((self.batch.rows[table].stored, statement))
            self._renames.append((table, temporary, index))
        return statements

    def swap_into_live(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            self._rename_into_live(conn)
            return
        for table in reversed(self.projection.tables):
            conn.execute(delete(table))
        for table in self.projection.tables:
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            conn.execute(text(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} '
                              f'FROM "{self.tables[table.name].name}"'))

    def lock_live(self, conn: Connection) -> None:
        """PostgreSQL: lock the live tables that ``swap_into_live`` will replace, in one statement, before
        the swap changes anything. Readers wait (for the catch-up and a few catalogue changes) and then
        read the new tables; a reader that locked one of them and waits for another can make PostgreSQL
        abort one of us (deadlock): if it is us, nothing has changed yet and ``_swap`` tries again."""
        if conn.dialect.name == "postgresql":
            names = sorted(t.name for t in self.projection.tables)
            conn.execute(text("LOCK TABLE " + ", ".join(f'"{n}"' for n in names) + " IN ACCESS EXCLUSIVE MODE"))

    def _rename_into_live(self, conn: Connection) -> None:
        """Replace each live table by its shadow: drop, rename, and give the primary key and the indexes
        the live names. One transaction: readers see the old rows until it commits (they wait for the
        few catalogue changes, not for rows to be copied)."""
        names = [t.name for t in self.projection.tables]
        keys = dict(conn.execute(text(
            "SELECT t.relname, c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
            "WHERE c.contype = 'p' AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(:names)"),
            {"names": names + [self.tables[n].name for n in names]}).all())
        for name in names:
            shadow = self.tables[name].name
            conn.execute(text(f'DROP TABLE "{name}"'))
            conn.execute(text(f'ALTER TABLE "{shadow}" RENAME TO "{name}"'))
            if name in keys and shadow in keys and keys[shadow] != keys[name]:
                conn.execute(text(f'ALTER TABLE "{name}" RENAME CONSTRAINT "{keys[shadow]}" TO "{keys[name]}"'))
        for _table, temporary, index in self._renames:
            conn.execute(text(f'ALTER INDEX "{temporary}" RENAME TO "{index}"'))


def _build_indexes(engine: Engine, statements: Sequence[tuple[int, str]], connections: int = 2) -> None:
    """Run index builds (with their tables' row counts) on a few connections at once: each CREATE INDEX
    keeps one server process busy, and two on one table do not block each other (SHARE locks). Those of
    the largest tables go first, so that the connections finish together; those of empty tables (most of
    them, usually) go together in one transaction rather than a transaction each."""
    empty = [st for rows, st in statements if not rows]
    jobs = [[st] for _rows, st in sorted((s for s in statements if s[0]), key=lambda s: -s[0])]
    jobs += [empty] if empty else []

    def run(job: list[str]) -> None:
        with engine.begin() as conn:
            for statement in job:
                conn.execute(text(statement))

    if len(jobs) <= 1 or connections <= 1:
        for job in jobs:
            run(job)
        return
    with ThreadPoolExecutor(connections) as pool:
        for future in [pool.submit(run, job) for job in jobs]:
            future.result()


_INDEX_DEF = re.compile(r"^CREATE (?P<unique>UNIQUE )?INDEX \S+ ON \S+ (?P<rest>USING .+)$", re.DOTALL)


def replay(citynet: Citynet, shadows: Sequence[Shadow], upto: int, conn: Connection | None = None,
           progress: Progress | None = None) -> None:
    """Apply the log to the shadows up to ``upto``, reading and decoding each event once for all of them.

    With no ``conn`` on PostgreSQL, reading and writing overlap the work in Python: a thread reads the
    next batch of the log and another COPYs the rows of the last one while this one decodes and applies
    (psycopg waits for the server without holding the GIL)."""
    start = min(s.position for s in shadows)
    decoder = citynet.projections.decoder
    wanted = [(s, set(s.projection.topics)) for s in shadows]
    # Shadow rows are scratch data until the swap (a crash discards them): the projections' engine commits
    # them without waiting for the WAL flush, as it does the live rows.
    engine = citynet.projection_engine
    background = conn is None and not citynet.storage.is_sqlite
    with _Writer(engine if background else None) as writer:
        for items in _batches(citynet, start, upto, read_ahead=background):
            end = items[-1].position if len(items) == READ_BATCH else upto
            present = {i.notification.topic for i in items}
            for shadow, topics in wanted:
                writer.check(shadow)
                if shadow.failed:
                    continue
                if topics and topics.isdisjoint(present):  # nothing for it here: no scan, no transaction
                    shadow.position = end
                    continue
                mine = [i for i in items if i.position > shadow.position and (not topics or i.notification.topic in topics)]
                current = None
                try:
                    with _connection(engine, conn) as c:
                        for current in mine:
                            decoder.state(current) if shadow.projection.raw else decoder.event(current)
                        current = None
                        shadow.projection.prepare(c, shadow.batch, mine)
                        for current in mine:
                            shadow.projection.apply(shadow.batch, current)
                        current = None
                        writer.write(c, shadow, mine[0].position if mine else end)
                except Exception as error:  # noqa: BLE001 - this projection stops; the others go on
                    if conn is not None:
                        raise
                    at = current.position if current is not None else (mine[0].position if mine else end)
                    shadow.failed = (at, f"{type(error).__name__}: {error}")
                    continue
                shadow.position = end
            if progress:
                progress(end, upto)
    for shadow, _topics in wanted:
        writer.check(shadow)  # the last writes' failures


def _batches(citynet: Citynet, start: int, upto: int, read_ahead: bool) -> Iterator[list[Item]]:
    """The log after ``start`` up to ``upto``, batch by batch; with ``read_ahead``, each next batch is read
    by a thread while the caller works on this one."""
    if not read_ahead:
        while start < upto and (items := _read(citynet, start, upto)):
            yield items
            if len(items) < READ_BATCH:
                return
            start = items[-1].position
        return
    with ThreadPoolExecutor(1, thread_name_prefix="citynet-rebuild-read") as reader:
        following = reader.submit(_read, citynet, start, upto) if start < upto else None
        while following is not None:
            items = following.result()
            if not items:
                return
            following = (reader.submit(_read, citynet, items[-1].position, upto)
                         if len(items) == READ_BATCH and items[-1].position < upto else None)
            yield items


class Stored(NamedTuple):
    """A stored event as projections read it (the attributes of eventsourcing's ``Notification``)."""

    id: int
    originator_id: Any  # text on PostgreSQL here: the event log shows it so, events convert it to a UUID
    originator_version: int
    topic: str
    state: bytes


@retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # a connection dropped since its last use
def _read(citynet: Citynet, start: int, upto: int) -> list[Item]:
    """The next stored events after ``start`` up to ``upto``. On PostgreSQL, one plain query with tuple rows
    and the originator id as text (no dictionary, UUID object or dataclass per row: a rebuild reads every
    event); elsewhere the recorder's ``select_notifications``."""
    recorder = citynet.app.recorder
    datastore = getattr(recorder, "datastore", None)
    if citynet.storage.is_sqlite or datastore is None:
        return [Item(n.id, n) for n in recorder.select_notifications(
            start=start, limit=READ_BATCH, stop=upto, inclusive_of_start=False)]
    # No upper bound in the query: with one, and without planner statistics (autovacuum off, or not yet
    # run after a bulk load), PostgreSQL estimates a few rows and sorts the whole rest of the log for
    # every batch (a rebuild grew quadratic). ``> start ORDER BY ... LIMIT`` walks the index; rows past
    # ``upto`` (at most one batch, at the end) are left out here.
    statement = psycopg.sql.SQL(
        "SELECT notification_id, originator_id::text, originator_version, topic, state FROM {}.{} "
        "WHERE notification_id > %s ORDER BY notification_id LIMIT %s").format(
        psycopg.sql.Identifier(datastore.schema), psycopg.sql.Identifier(recorder.events_table_name))
    with datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
        cursor.execute(statement, (start, READ_BATCH), prepare=True)
        make = Stored._make
        return [Item(row[0], make(row)) for row in cursor.fetchall() if row[0] <= upto]


@contextlib.contextmanager
def _connection(engine: Engine, conn: Connection | None) -> Iterator[Connection]:
    if conn is not None:
        yield conn
        return
    with engine.begin() as own:
        yield own


class _Writer:
    """Writes the shadows' batches in order. With an engine (PostgreSQL, no caller's transaction), COPYs of
    fresh rows go to a thread with a connection and a transaction per batch of its own, and the replay goes
    on meanwhile; a batch that changes stored rows first waits for those, then is written at once in the
    replay's transaction. Without one, every batch is written at once in the replay's transaction."""

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine
        self.pending: list[tuple[Shadow, int, Future[None]]] = []
        self.thread: ThreadPoolExecutor | None = None

    def __enter__(self) -> _Writer:
        if self.engine is not None:
            self.thread = ThreadPoolExecutor(1, thread_name_prefix="citynet-rebuild-write")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.thread is not None:
            self.thread.shutdown(wait=True)  # every write finished (or failed) before the replay returns

    def write(self, conn: Connection, shadow: Shadow, at: int) -> None:
        """Write what ``shadow``'s batch changed; ``at``: the batch's first position (named if it fails)."""
        if self.thread is None or conn.dialect.name != "postgresql":
            write(conn, shadow.batch)
            return
        copies = []
        for rows in shadow.batch.rows.values():
            fresh = rows.take_inserts_only()
            if fresh is None:  # rows of earlier batches change: they must be in the table first
                self.wait()
                write(conn, shadow.batch, copies=copies)
                return
            if fresh:
                copies.append((rows, fresh))
        if copies:
            self.pending.append((shadow, at, self.thread.submit(self._copy_all, copies)))

    def _copy_all(self, copies: list[tuple[Rows, list[dict[str, Any]]]]) -> None:
        assert self.engine is not None
        with self.engine.begin() as conn:
            for rows, fresh in copies:
                copy_rows(conn, rows, fresh)

    def wait(self) -> None:
        for _shadow, _at, future in self.pending:
            with contextlib.suppress(Exception):  # reported by ``check``
                future.result()

    def check(self, shadow: Shadow) -> None:
        """Mark ``shadow`` failed if one of its finished writes failed."""
        still = []
        for owner, at, future in self.pending:
            if owner is not shadow or not future.done():
                still.append((owner, at, future))
            elif future.exception() is not None and not shadow.failed:
                error = future.exception()
                shadow.failed = (at, f"{type(error).__name__}: {error}")
        self.pending = still


# -- rebuild ----------------------------------------------------------------------------------------


def rebuild(citynet: Citynet, names: Sequence[str] | None = None, progress: Progress | None = None,
            parallel: bool | None = None) -> int:
    """Rebuild the named projections (default: every rebuildable one); return the lowest position reached.

    On PostgreSQL with more than one core, the event log and the other read models are replayed in
    two processes at once (each decodes what it needs; their shadows are independent)."""
    projections = rebuildable(citynet, names)
    groups = _groups(projections)
    # Opt-in: two worker processes starting at once raced on PostgreSQL's catalog at set-up
    # ("tuple concurrently updated") in CI; sequential replay is the default until that is fixed.
    parallel = bool(parallel) and not citynet.storage.is_sqlite and len(groups) > 1 and (os.cpu_count() or 1) > 1
    engine = citynet.sync_engine
    with exclusive(citynet):
        clean_leftovers(engine)
        with contextlib.ExitStack() as stack:
            shadows = [stack.enter_context(Shadow(engine, p)) for p in projections]
            if parallel:
                failures = _rebuild_in_processes(citynet, [[p.name for p in g] for g in groups], progress)
            else:
                failures = _rebuild_here(citynet, shadows, progress)
    for p in projections:
        runner = citynet.projections.runners[p.name]
        runner.stalled_at = None
        runner.load_position()  # in memory it may have moved past unstored events: the rebuild covers them
    citynet.projections.poke()
    if failures:
        raise RebuildFailed(failures)  # the live rows of those stay as they were
    return min((citynet.projections.runners[p.name].position for p in projections), default=0)


def _groups(projections: Sequence[Projection]) -> list[list[Projection]]:
    """Projections that read every event (the event log) in one group, those that read their own topics in another."""
    everything = [p for p in projections if not p.topics]
    own = [p for p in projections if p.topics]
    return [g for g in (everything, own) if g]


def _rebuild_here(citynet: Citynet, shadows: Sequence[Shadow], progress: Progress | None) -> dict[str, tuple[int, str]]:
    """Replay into existing shadow tables and swap each in; returns the projections that failed."""
    with _no_gc():
        replay(citynet, shadows, citynet.projections.head(), progress=progress)
    done = [s for s in shadows if not s.failed]
    if not citynet.storage.is_sqlite:  # all shadows' indexes at once, two at a time
        _build_indexes(citynet.sync_engine, [st for s in done for st in s.index_statements()])
    for shadow in done:
        _swap(citynet, shadow)
    return {s.projection.name: s.failed for s in shadows if s.failed}


def _rebuild_group(url: str, names: list[str], done: Any) -> dict[str, tuple[int, str]]:
    """In a worker process: replay some projections into their (existing) shadow tables and swap them in."""
    worker = Citynet(url, setup=False)  # the parent created every table: set-up DDL from two processes races
    try:
        shadows = [Shadow(worker.sync_engine, p) for p in rebuildable(worker, names)]
        return _rebuild_here(worker, shadows, lambda position, _head: setattr(done, "value", position))
    finally:
        worker.close()


def _rebuild_in_processes(citynet: Citynet, groups: list[list[str]],
                          progress: Progress | None) -> dict[str, tuple[int, str]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")  # never fork a process that holds threads and pools
    head = citynet.projections.head()
    with context.Manager() as manager, ProcessPoolExecutor(len(groups), mp_context=context) as pool:
        done = [manager.Namespace(value=0) for _ in groups]
        futures = [pool.submit(_rebuild_group, citynet.storage.url, names, d) for names, d in zip(groups, done)]
        while not all(f.done() for f in futures):
            if progress:
                progress(min(d.value for d in done), head)
            time.sleep(0.2)  # only the progress bar polls; the work runs in the workers
        failures: dict[str, tuple[int, str]] = {}
        for f in futures:
            failures.update(f.result())
    if progress:
        progress(head, head)
    return failures


def _swap(citynet: Citynet, shadow: Shadow, attempts: int = 5) -> None:
    runner = citynet.projections.runners[shadow.projection.name]
    for attempt in range(attempts):
        try:
            with citynet.projections._round, citynet.sync_engine.begin() as conn:
                checkpoints.hold(conn, runner.name)  # the live runner waits for us, then finds the position moved
                shadow.lock_live(conn)  # before anything changes in memory: a deadlock here is safe to retry
                replay(citynet, [shadow], citynet.projections.head(), conn=conn)  # what arrived meanwhile
                shadow.swap_into_live(conn)
                checkpoints.advance(conn, runner.name, shadow.position)
                # Rows may have changed without the position moving: readers' row caches are told (on commit).
                checkpoints.announce_all(conn, [{"n": runner.name, "p": shadow.position, "s": None, "r": 1}])
            citynet.projections.board.post(runner.name, rebuilt=True)
            return
        except DBAPIError as error:
            # A reader locking two of the tables in another order than ours: PostgreSQL aborts one of
            # us. The shadow is complete and unchanged by the rolled-back transaction: try again.
            if not isinstance(error.orig, psycopg.errors.DeadlockDetected) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """A replay allocates millions of objects that all live until the swap (every row is kept):
    the cyclic collector would traverse that growing heap again and again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- verify -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[Any, ...]
    kind: str  # missing (in live), extra (in live), differs
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class VerifyReport:
    position: int
    tables: int
    rows_compared: int
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


def _key_order(table: Table, dialect: str) -> list[Any]:
    """Primary-key order in code-point order, as Python compares: PostgreSQL's default collation may not."""
    columns = list(table.primary_key.columns)
    if dialect != "postgresql":
        return columns  # SQLite's BINARY collation is code-point order
    return [c.collate("C") if isinstance(c.type, String) else c for c in columns]


def _compare(table: Table, live: Iterator[Any], shadow: Iterator[Any], out: list[Difference]) -> int:
    key_cols = [c.name for c in table.primary_key.columns]
    cols = [c.name for c in table.columns]

    def key(row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, k) for k in key_cols)

    compared = 0
    a, b = next(live, None), next(shadow, None)
    while a is not None or b is not None:
        compared += 1
        if b is None or (a is not None and key(a) < key(b)):
            out.append(Difference(table.name, key(a), "extra"))
            a = next(live, None)
        elif a is None or key(b) < key(a):
            out.append(Difference(table.name, key(b), "missing"))
            b = next(shadow, None)
        else:
            changed = tuple(c for c in cols if getattr(a, c) != getattr(b, c))
            if changed:
                out.append(Difference(table.name, key(a), "differs", changed))
            a, b = next(live, None), next(shadow, None)
    return compared


def verify(citynet: Citynet, progress: Progress | None = None, names: Sequence[str] | None = None,
           before_compare: Callable[[], None] | None = None) -> VerifyReport:
    """Replay into shadow tables and report every difference from the live read models."""
    projections = rebuildable(citynet, names)
    engine = citynet.sync_engine
    differences: list[Difference] = []
    compared, tables, lowest = 0, 0, None
    with exclusive(citynet):
        clean_leftovers(engine)
        with contextlib.ExitStack() as stack:
            shadows = [stack.enter_context(Shadow(engine, p)) for p in projections]
            for shadow in shadows:
                name = shadow.projection.name
                while True:
                    with engine.connect() as conn:
                        target = checkpoints.read(conn, name).position
                    replay(citynet, [shadow], target, progress=progress)
                    with engine.begin() as conn:
                        if not checkpoints.claim(conn, name, target):
                            continue  # the live model moved on meanwhile; follow it
                        if before_compare:
                            before_compare()
                        for table in shadow.projection.tables:
                            order = _key_order(table, conn.dialect.name)
                            live_rows = iter(conn.execute(select(table).order_by(*order)).all())
                            shadow_table = shadow.tables[table.name]
                            shadow_rows = iter(conn.execute(select(shadow_table).order_by(
                                *_key_order(shadow_table, conn.dialect.name))).all())
                            compared += _compare(table, live_rows, shadow_rows, differences)
                            tables += 1
                        lowest = target if lowest is None else min(lowest, target)
                        break
    return VerifyReport(lowest or 0, tables, compared, differences)
