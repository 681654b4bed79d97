"""Where each projection has got to in the event log, and whether it is stuck.

A projection's row here is written in the same transaction as the rows its
events produce (exactly once, resumable after a crash). A batch starts by
taking the row with a compare-and-set on the position it read, so two
processes can never apply the same stretch twice: the second finds the
position moved and reads again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

checkpoint_metadata = MetaData()

checkpoints = Table(
    "projection_checkpoints",
    checkpoint_metadata,
    Column("name", String(60), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("stalled_at", BigInteger, nullable=True),  # the event it cannot apply
    Column("error", Text, nullable=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("updated_at", String(40), nullable=False),
)

# The version of each read model's rules and shape, as the rows in its tables were made. A release that
# changes what a projection writes (not only its columns) raises its ``version``: on start the read model
# is made anew and replayed (services/projections/engine.py). No row: made before versions were kept (1).
projection_versions = Table(
    "projection_versions",
    checkpoint_metadata,
    Column("name", String(60), primary_key=True),
    Column("version", Integer, nullable=False),
)

LEGACY_POSITIONS = "rm_projection_positions"  # one shared position, before projections were independent
POSITIONS_CHANNEL = "citynet_projection_positions"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


@dataclass(frozen=True)
class Checkpoint:
    name: str
    position: int
    stalled_at: int | None = None
    error: str | None = None
    failures: int = 0


def ensure(conn: Connection, name: str, initial: int) -> None:
    """Create the row if missing (another process may race us: fine)."""
    if conn.execute(select(checkpoints.c.name).where(checkpoints.c.name == name)).first() is not None:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(checkpoints).values(name=name, position=initial, failures=0, updated_at=_now()))
    except IntegrityError:
        pass


def legacy_position(conn: Connection) -> int | None:
    """The shared position of the first release, so existing read models carry on instead of re-applying."""
    if not inspect(conn).has_table(LEGACY_POSITIONS):
        return None
    value = conn.execute(text(f"SELECT position FROM {LEGACY_POSITIONS} WHERE name = 'read_models'")).scalar()
    return int(value) if value is not None else None


def read(conn: Connection, name: str) -> Checkpoint:
    row = conn.execute(select(checkpoints).where(checkpoints.c.name == name)).one()
    return Checkpoint(row.name, int(row.position), row.stalled_at, row.error, int(row.failures))


def read_all(conn: Connection) -> dict[str, Checkpoint]:
    return {r.name: Checkpoint(r.name, int(r.position), r.stalled_at, r.error, int(r.failures))
            for r in conn.execute(select(checkpoints))}


def claim(conn: Connection, name: str, expected: int) -> bool:
    """Lock the row if the position is still ``expected``; False if someone else moved it."""
    result = conn.execute(update(checkpoints).where(checkpoints.c.name == name, checkpoints.c.position == expected)
                          .values(position=expected))
    return result.rowcount == 1


def hold(conn: Connection, name: str) -> int:
    """Lock the row until this transaction ends, whatever its position, and return that position
    (a runner's next batch then waits for us and, finding the position moved, re-reads)."""
    conn.execute(update(checkpoints).where(checkpoints.c.name == name).values(position=checkpoints.c.position))
    return int(conn.execute(select(checkpoints.c.position).where(checkpoints.c.name == name)).scalar_one())


def claim_and_advance(conn: Connection, name: str, expected: int, position: int,
                      announce: list[dict[str, int | str | None]] | None = None) -> bool:
    """Move the checkpoint from ``expected`` to ``position`` (locking the row until commit), in the
    transaction that then writes the rows; False if someone else moved it (the caller rolls back).
    ``announce``: standings to tell other processes when (and only if) this transaction commits; on
    PostgreSQL sent in the same statement as the claim (``claim_all``: a NOTIFY is delivered at commit)."""
    if announce and conn.dialect.name == "postgresql":
        return claim_all(conn, [(name, expected, position)], announce)
    result = conn.execute(update(checkpoints).where(checkpoints.c.name == name, checkpoints.c.position == expected)
                          .values(position=position, stalled_at=None, error=None, failures=0, updated_at=_now()))
    return result.rowcount == 1


def claim_all(conn: Connection, claims: list[tuple[str, int, int]],
              announce: list[dict[str, int | str | None]]) -> bool:
    """``claim_and_advance`` for several projections in one transaction (a round that writes rows for
    each): every (name, expected, position) or, returning False, the caller rolls back. On PostgreSQL one
    prepared statement, through the driver (SQLAlchemy's execution around it cost more than the statement),
    moves them all and announces ``announce`` at commit."""
    if conn.dialect.name != "postgresql":
        return all(claim_and_advance(conn, name, expected, position) for name, expected, position in claims)
    return claimed(send_claims(conn.connection.driver_connection, claims, announce), claims)


_CLAIM_ALL = (
    "WITH claimed AS (UPDATE projection_checkpoints AS c SET position = v.position, stalled_at = NULL, "
    "error = NULL, failures = 0, updated_at = %(now)s FROM unnest(%(names)s::text[], %(expected)s::bigint[], "
    "%(positions)s::bigint[]) AS v(name, expected, position) WHERE c.name = v.name AND c.position = v.expected "
    "RETURNING 1) SELECT (SELECT count(*) FROM claimed), pg_notify(%(channel)s, %(payload)s)")


def send_claims(raw: Any, claims: list[tuple[str, int, int]], announce: list[dict[str, int | str | None]]) -> Any:
    """PostgreSQL: send ``claim_all``'s statement on the driver's connection (in a pipeline, it goes with
    the transaction's BEGIN); ``claimed`` reads its answer."""
    claims = sorted(claims)  # every process locks the rows in the same order
    return raw.execute(_CLAIM_ALL, {
        "now": _now(), "names": [c[0] for c in claims], "expected": [c[1] for c in claims],
        "positions": [c[2] for c in claims], "channel": POSITIONS_CHANNEL, "payload": json.dumps(announce)},
        prepare=True)


def claimed(cursor: Any, claims: list[tuple[str, int, int]]) -> bool:
    row = cursor.fetchone()
    return row is not None and row[0] == len(claims)


def advance(conn: Connection, name: str, position: int) -> None:
    """Move the checkpoint (the engine announces positions, once per round, after commit)."""
    conn.execute(update(checkpoints).where(checkpoints.c.name == name).values(
        position=position, stalled_at=None, error=None, failures=0, updated_at=_now()))


def record_stall(conn: Connection, name: str, at: int, error: str, failures: int) -> None:
    conn.execute(update(checkpoints).where(checkpoints.c.name == name).values(
        stalled_at=at, error=error[:2000], failures=failures, updated_at=_now()))
    announce(conn, name, None, at)


def announce(conn: Connection, name: str, position: int | None, stalled_at: int | None) -> None:
    """Tell other processes (delivered on commit, PostgreSQL only; SQLite serves one process)."""
    announce_all(conn, [{"n": name, "p": position, "s": stalled_at}])


def announce_all(conn: Connection, standings: list[dict[str, int | str | None]]) -> None:
    if conn.dialect.name == "postgresql" and standings:
        conn.execute(text("SELECT pg_notify(:channel, :payload)"),
                     {"channel": POSITIONS_CHANNEL, "payload": json.dumps(standings)})

