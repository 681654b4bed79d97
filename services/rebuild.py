"""Rebuild and verify the read models, safely while the service runs.

Both build every read model from the first event into *scratch* tables (a
temporary SQLite file beside the database, or a temporary PostgreSQL schema)
without holding any lock the live service needs. Then:

- rebuild swaps the scratch rows in: one transaction that holds the live
  position lock, replaces every read-model table's rows and sets the position
  to where the scratch build got; the live projector carries on from there;
- verify compares scratch and live rows table by table, in primary-key order
  (streaming, constant memory), at the same position, and reports every
  difference.

The audit chain and the personal-data store are not read models and are
never touched.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import String, Table, create_engine, delete, insert, select, text, update
from sqlalchemy.engine import Engine

from citynet.services.projector import Progress, Projector
from citynet.services.readmodel.tables import READ_MODEL_TABLES, metadata, projection_positions
from citynet.services.runtime import Citynet

COPY_CHUNK = 2000


@contextlib.contextmanager
def scratch_engine(citynet: Citynet) -> Iterator[Engine]:
    storage = citynet.storage
    if storage.is_sqlite:
        assert storage.sqlite_path is not None
        path = Path(f"{storage.sqlite_path}.scratch-{uuid.uuid4().hex[:8]}")
        engine = create_engine(f"sqlite:///{path}")
        try:
            yield engine
        finally:
            engine.dispose()
            for suffix in ("", "-wal", "-shm", "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(f"{path}{suffix}")
        return
    schema = f"citynet_scratch_{uuid.uuid4().hex[:8]}"
    with citynet.sync_engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(storage.sync_url, connect_args={"options": f"-c search_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with citynet.sync_engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def _scratch_projector(citynet: Citynet, engine: Engine) -> Projector:
    projections = [p for p in citynet.projector.projections if getattr(p, "rebuildable", True)]
    projector = Projector(citynet.app, engine, projections, batch_size=1000)
    metadata.create_all(engine)
    projector.setup()
    return projector


def _key_order(table: Table, dialect: str) -> list[Any]:
    """Primary-key order in code-point order, as Python compares: PostgreSQL's default collation may not."""
    columns = list(table.primary_key.columns)
    if dialect != "postgresql":
        return columns  # SQLite's BINARY collation is code-point order
    return [c.collate("C") if isinstance(c.type, String) else c for c in columns]


def _rows(engine: Engine, table: Table) -> Iterator[Any]:
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=COPY_CHUNK).execute(
            select(table).order_by(*_key_order(table, engine.dialect.name)))
        yield from result


def rebuild(citynet: Citynet, progress: Progress | None = None) -> int:
    """Rebuild every read model into scratch tables, then swap them in; return the position reached."""
    with scratch_engine(citynet) as engine:
        scratch = _scratch_projector(citynet, engine)
        position = scratch.catch_up(progress)
        live = citynet.projector
        with live._lock, citynet.sync_engine.begin() as conn:
            live._lock_position(conn)
            position = scratch.catch_up(progress)  # what arrived meanwhile
            for table in reversed(READ_MODEL_TABLES):
                conn.execute(delete(table))
            for table in READ_MODEL_TABLES:
                rows = _rows(engine, table)
                while chunk := [dict(r._mapping) for r in islice(rows, COPY_CHUNK)]:
                    conn.execute(insert(table), chunk)
            conn.execute(update(projection_positions).where(
                projection_positions.c.name == live.TRACKING_NAME).values(position=position))
        live._known = position
    # Events after the swap position are applied by the live projector as usual.
    citynet.projector.catch_up()
    return position


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


def _compare(table: Table, live: Iterator[Any], scratch: Iterator[Any], out: list[Difference]) -> int:
    key_cols = [c.name for c in table.primary_key.columns]
    cols = [c.name for c in table.columns]

    def key(row: Any) -> tuple[Any, ...]:
        return tuple(getattr(row, k) for k in key_cols)

    compared = 0
    a, b = next(live, None), next(scratch, None)
    while a is not None or b is not None:
        compared += 1
        if b is None or (a is not None and key(a) < key(b)):
            out.append(Difference(table.name, key(a), "extra"))
            a = next(live, None)
        elif a is None or key(b) < key(a):
            out.append(Difference(table.name, key(b), "missing"))
            b = next(scratch, None)
        else:
            changed = tuple(c for c in cols if getattr(a, c) != getattr(b, c))
            if changed:
                out.append(Difference(table.name, key(a), "differs", changed))
            a, b = next(live, None), next(scratch, None)
    return compared


def verify(citynet: Citynet, progress: Progress | None = None,
           before_compare: Callable[[], None] | None = None) -> VerifyReport:
    """Rebuild into scratch tables and report every difference from the live read models."""
    with scratch_engine(citynet) as engine:
        scratch = _scratch_projector(citynet, engine)
        live = citynet.projector
        while True:
            target = live.position()
            scratch.catch_up(progress, upto=target)
            with live._lock, citynet.sync_engine.begin() as conn:
                if live._lock_position(conn) != target:
                    continue  # the live models moved on meanwhile; follow them
                if before_compare:
                    before_compare()
                differences: list[Difference] = []
                compared = 0
                for table in READ_MODEL_TABLES:
                    live_rows = iter(conn.execution_options(yield_per=COPY_CHUNK).execute(
                        select(table).order_by(*_key_order(table, conn.dialect.name))))
                    compared += _compare(table, live_rows, _rows(engine, table), differences)
                return VerifyReport(target, len(READ_MODEL_TABLES), compared, differences)
