"""Check event-store connections that sat idle, not every one handed out.

eventsourcing's ``POSTGRES_PRE_PING`` sends an empty query on every checkout from its pool: a command
checks out twice (its uniqueness read, its insert), so two of its five round trips to PostgreSQL were
pings, and under load every ping found a connection used a moment before. A connection handed out in
the last second was alive then (one that failed in use is discarded when it comes back, its status
bad); only one idle for longer is pinged, and replaced if the server has dropped it meanwhile (a
restart, an idle-session timeout). What the ping never covered still holds: a connection that dies
between the check and its first statement fails that statement, which eventsourcing's recorder retries
on a fresh connection (its reads and inserts retry ``OperationalError``), before anything was written.
"""

from __future__ import annotations

import time
from typing import Any

from psycopg_pool import ConnectionPool

IDLE_SECONDS = 1.0
_LAST_OUT = "_citynet_last_checkout"


class PingWhenIdle:
    """A psycopg_pool ``check``: ping a connection only when it has not been handed out for a while."""

    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self.pings = 0

    def __call__(self, conn: Any) -> None:
        now = time.monotonic()
        last = getattr(conn, _LAST_OUT, None)
        if last is None or now - last > self.idle_seconds:
            self.pings += 1
            ConnectionPool.check_connection(conn)  # raises if the connection is gone: the pool replaces it
        setattr(conn, _LAST_OUT, now)


def install(recorder: Any, idle_seconds: float = IDLE_SECONDS) -> PingWhenIdle | None:
    """Replace the pre-ping of an eventsourcing PostgreSQL recorder's pool; None on SQLite.

    The pool takes its check when built (inside eventsourcing's datastore, from ``POSTGRES_PRE_PING``),
    so it is swapped on the built pool: tests/service/test_idle_ping.py fails if psycopg_pool stops
    calling it."""
    datastore = getattr(recorder, "datastore", None)
    pool = getattr(datastore, "pool", None)
    if not isinstance(pool, ConnectionPool):
        return None
    check = PingWhenIdle(idle_seconds)
    pool._check = check  # noqa: SLF001 - see the docstring
    return check
