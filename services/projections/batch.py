"""A batch of events applied to in-memory copies of the rows they touch.

Handlers read and change rows through ``Rows`` (one per table); nothing goes
to the database until ``flush``, which writes each table with one DELETE of
the keys that changed and one multi-row INSERT of their new contents. Before
a batch, a projection loads what its events will need with a few set-based
SELECTs (by primary key or by a group column such as ``workshop_id``), so the
cost per event is pure Python, never a round trip.

During a rebuild the tables start empty and the copies are *complete*: every
row exists in memory, nothing is loaded, and rows written by one batch stay
known to the next.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, delete, insert, select, tuple_
from sqlalchemy.engine import Connection

Key = tuple[Any, ...]
CHUNK = 500
PIPELINED_ROWS = 64  # new rows of a table sent as INSERTs in a round's pipeline; more go by COPY
CLAIMED = "claimed"  # memo: the checkpoint position the runner claimed for this batch


@functools.cache
def _shape(table: Table) -> tuple[list[str], list[str], Callable[[dict[str, Any]], Any], dict[str, Any]]:
    """A table's key columns, columns, key getter and defaults, worked out once (a live round makes a
    ``Rows`` for every table of every projection it writes)."""
    key_columns = [c.name for c in table.primary_key.columns]
    # What a row gets for a column a handler leaves out (NULL, or the server default).
    defaults = {c.name: (None if c.nullable else c.server_default.arg)  # type: ignore[union-attr]
                for c in table.columns if c.nullable or c.server_default is not None}
    return key_columns, [c.name for c in table.columns], itemgetter(*key_columns), defaults


class Rows:
    """The rows of one table that a batch has seen, keyed by primary key."""

    def __init__(self, table: Table, complete: bool = False) -> None:
        self.table = table
        self.key_columns, self.columns, self._key, self._defaults = _shape(table)
        self._single_key = len(self.key_columns) == 1
        self.complete = complete
        self._rows: dict[Key, dict[str, Any] | None] = {}  # None: known absent (or deleted)
        self._stored: set[Key] = set()  # keys that exist in the database as of the last flush
        self._dirty: set[Key] = set()
        self._groups: dict[tuple[str, ...], set[Key]] = {}  # group columns loaded, by value

    @property
    def stored(self) -> int:
        """How many rows the table holds as of the last flush, as far as this batch knows (a complete
        batch knows every row)."""
        return len(self._stored)

    # -- loading ------------------------------------------------------------------

    def key_of(self, row: dict[str, Any]) -> Key:
        return (self._key(row),) if self._single_key else self._key(row)

    def _remember(self, row: dict[str, Any]) -> None:
        key = self.key_of(row)
        if key not in self._rows:  # what the batch already changed wins over the database
            self._rows[key] = row
            self._stored.add(key)

    def load(self, conn: Connection, keys: Iterable[Key]) -> None:
        """Fetch these primary keys (one SELECT per chunk); unknown ones are remembered as absent."""
        wanted = [k for k in set(keys) if k not in self._rows]
        if self.complete or not wanted:
            for k in wanted:
                self._rows.setdefault(k, None)
            return
        cols = [self.table.c[c] for c in self.key_columns]
        for i in range(0, len(wanted), CHUNK):
            part = wanted[i:i + CHUNK]
            where = cols[0].in_([k[0] for k in part]) if len(cols) == 1 else tuple_(*cols).in_(part)
            for r in conn.execute(select(self.table).where(where)):
                self._remember(dict(r._mapping))
        for k in wanted:
            self._rows.setdefault(k, None)

    def load_groups(self, conn: Connection, columns: tuple[str, ...], values: Iterable[Key]) -> None:
        """Fetch every row whose ``columns`` equal one of ``values`` (e.g. all sessions of some workshops)."""
        loaded = self._groups.setdefault(columns, set())
        wanted = [v for v in set(values) if v not in loaded]
        loaded.update(wanted)
        if self.complete or not wanted:
            return
        cols = [self.table.c[c] for c in columns]
        for i in range(0, len(wanted), CHUNK):
            part = wanted[i:i + CHUNK]
            where = cols[0].in_([v[0] for v in part]) if len(cols) == 1 else tuple_(*cols).in_(part)
            for r in conn.execute(select(self.table).where(where)):
                self._remember(dict(r._mapping))

    # -- reading and changing --------------------------------------------------------

    def get(self, *key: Any) -> dict[str, Any] | None:
        if key not in self._rows:
            if not self.complete:
                raise KeyError(f"{self.table.name} {key} was not loaded for this batch")
            return None
        return self._rows[key]

    def where(self, **equal: Any) -> Iterator[dict[str, Any]]:
        """Rows with these column values, among those loaded (load their group first)."""
        items = list(equal.items())
        for row in list(self._rows.values()):
            if row is not None and all(row[c] == v for c, v in items):
                yield row

    def _full(self, row: dict[str, Any]) -> dict[str, Any]:
        full = row if len(row) == len(self.columns) else {**self._defaults, **row}
        if len(full) != len(self.columns):
            raise KeyError(f"{self.table.name} needs values for {sorted(set(self.columns) - set(full))}")
        return full

    def put(self, row: dict[str, Any]) -> None:
        full = self._full(row)
        key = self.key_of(full)
        self._rows[key] = full
        self._dirty.add(key)

    def update(self, key: Key, **values: Any) -> dict[str, Any] | None:
        row = self._rows.get(key)
        if row is None:
            if not self.complete and key not in self._rows:
                raise KeyError(f"{self.table.name} {key} was not loaded for this batch")
            return None  # as an UPDATE of a missing row: nothing
        row.update(values)
        self._dirty.add(key)
        return row

    def remove(self, key: Key) -> None:
        if self._rows.get(key) is not None or key in self._stored:
            self._rows[key] = None
            self._dirty.add(key)
        else:
            self._rows[key] = None

    # -- writing ----------------------------------------------------------------------

    def flush(self, conn: Connection) -> int:
        """Write what changed: one DELETE of stored keys, one multi-row INSERT of live rows."""
        if not self._dirty:
            return 0
        stale = [k for k in self._dirty if k in self._stored]
        fresh = [self._rows[k] for k in self._dirty if self._rows[k] is not None]
        cols = [self.table.c[c] for c in self.key_columns]
        for i in range(0, len(stale), CHUNK):
            part = stale[i:i + CHUNK]
            where = cols[0].in_([k[0] for k in part]) if len(cols) == 1 else tuple_(*cols).in_(part)
            conn.execute(delete(self.table).where(where))
        for i in range(0, len(fresh), CHUNK):
            conn.execute(insert(self.table), fresh[i:i + CHUNK])
        for k in self._dirty:
            if self._rows[k] is None:
                self._stored.discard(k)
            else:
                self._stored.add(k)
        written = len(self._dirty)
        self._dirty.clear()
        return written

    def take_inserts_only(self) -> list[dict[str, Any]] | None:
        """If every change since the last flush is a new row, hand them over (for COPY) and mark them
        stored; otherwise None (use ``flush``)."""
        if not self._dirty.isdisjoint(self._stored):
            return None
        rows = self._rows
        fresh = [rows[k] for k in self._dirty]
        if None in fresh:
            return None
        self._stored.update(self._dirty)
        self._dirty.clear()
        return fresh  # type: ignore[return-value]


class AddedRows(Rows):
    """The rows of a complete batch (a rebuild) of a projection that only adds rows: each event a new
    one, never read back nor changed (the event log). They are handed over to be written and then
    forgotten, not kept until the end as other complete batches keep theirs: keeping every row of the
    log in memory was a fifth of the event log's rebuild time (and most of its memory)."""

    def __init__(self, table: Table) -> None:
        super().__init__(table, complete=True)
        self._added: list[dict[str, Any]] = []
        self._written = 0

    @property
    def stored(self) -> int:
        return self._written

    def put(self, row: dict[str, Any]) -> None:
        self._added.append(self._full(row))

    def take_inserts_only(self) -> list[dict[str, Any]]:
        fresh, self._added = self._added, []
        self._written += len(fresh)
        return fresh

    def flush(self, conn: Connection) -> int:
        fresh = self.take_inserts_only()
        for i in range(0, len(fresh), CHUNK):
            conn.execute(insert(self.table), fresh[i:i + CHUNK])
        return len(fresh)

    def _only_adds(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self.table.name}: its projection only adds rows (adds_only), it cannot read or change them")

    load = load_groups = get = where = update = remove = _only_adds


class Batch:
    """The ``Rows`` of every table a projection owns, for one batch (or a whole rebuild)."""

    def __init__(self, tables: Iterable[Table], complete: bool = False,
                 shadow: Callable[[Table], Table] | None = None, adds_only: bool = False) -> None:
        # Handlers name the live tables; a rebuild writes the same rows into shadow tables.
        self.rows = {t.name: AddedRows(shadow(t) if shadow else t) if complete and adds_only
                     else Rows(shadow(t) if shadow else t, complete) for t in tables}
        self.complete = complete
        self.memo: dict[str, Any] = {}  # per-projection scratch (e.g. next arrival numbers)

    def __getitem__(self, table: Table) -> Rows:
        return self.rows[table.name]

    def flush(self, conn: Connection) -> int:
        return sum(r.flush(conn) for r in self.rows.values())


def write(conn: Connection, *batches: Batch, copies: Sequence[tuple[Rows, list[dict[str, Any]]]] = ()) -> None:
    """Flush batches in the caller's transaction (a live round's batches: several projections' at once).

    On PostgreSQL, through the driver (SQLAlchemy's executemany cost a live round more than the statement
    itself): tables with changed rows are flushed; tables that only got new rows get them by COPY when
    they are many (and ``copies``: fresh rows already taken from a batch), and as INSERTs when they are a
    few (a registration's city, its event-log rows and their chain links), the INSERTs of every table in
    one pipeline, one round trip for all of them, where a COPY per table took one each (COPY cannot run
    in a pipeline).

    A row must be the same whichever way it goes: psycopg adapts str, int, date and None alike for COPY
    and for INSERT parameters, but not every value (a UUID or a bool into a text column, an aware
    datetime into a date or text column differ), so projections give text columns text. (The demo's
    whole log, replayed through live rounds both ways, verifies alike: review of the fourth session.)"""
    if conn.dialect.name != "postgresql":
        for batch in batches:
            batch.flush(conn)
        return
    for rows, fresh in copies:
        copy_rows(conn, rows, fresh)
    inserts: list[tuple[Rows, list[dict[str, Any]]]] = []
    for batch in batches:
        for rows in batch.rows.values():
            fresh = rows.take_inserts_only()
            if fresh is None:
                rows.flush(conn)
            elif len(fresh) > PIPELINED_ROWS:
                copy_rows(conn, rows, fresh)
            elif fresh:
                inserts.append((rows, fresh))
    if not inserts:
        return
    raw = conn.connection.driver_connection
    with raw.pipeline(), raw.cursor() as cur:
        for rows, fresh in inserts:
            statement, values = _insert_statement(rows.table)
            cur.executemany(statement, [values(row) for row in fresh])


@functools.cache
def _columns(table: Table) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]]:
    """A table's quoted column list, and what takes a row's values in that order."""
    columns = [c.name for c in table.columns]
    values = itemgetter(*columns) if len(columns) > 1 else (lambda row, c=columns[0]: (row[c],))
    return ", ".join(f'"{c}"' for c in columns), values


@functools.cache
def _insert_statement(table: Table) -> tuple[str, Callable[[dict[str, Any]], tuple[Any, ...]]]:
    names, values = _columns(table)
    return f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join(["%s"] * len(table.columns))})', values


def copy_rows(conn: Connection, rows: Rows, fresh: list[dict[str, Any]]) -> None:
    raw = conn.connection.driver_connection
    names, values = _columns(rows.table)
    with raw.cursor() as cur, cur.copy(f'COPY "{rows.table.name}" ({names}) FROM STDIN') as copy:
        put = copy.write_row
        for row in fresh:
            put(values(row))
