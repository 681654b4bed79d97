"""A tamper-evident history: events chained by hash in global order.

link(n) = SHA-256(link(n-1) | position | originator id | version | topic | stored bytes)

The chain is not a read model. It has a runner of its own whose position is
the chain's own head: it links the next stored events after the last link, in
order, so it can never skip one, and no rebuild touches it. Links are only
ever appended. ``verify`` recomputes the chain from the stored
events and reports the first position where the history no longer matches.
Publishing the head hash elsewhere (it is readable over GraphQL) makes even a
rewrite of the whole chain detectable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eventsourcing.persistence import ApplicationRecorder, Notification
from sqlalchemy import BigInteger, Column, MetaData, String, Table, func, select
from sqlalchemy.engine import Connection, Engine

from citynet.services.projections.batch import CLAIMED, Batch
from citynet.services.projections.runner import Item

audit_metadata = MetaData()

audit_chain = Table(
    "audit_chain",
    audit_metadata,
    Column("position", BigInteger, primary_key=True),
    Column("link", String(64), nullable=False),
)

GENESIS = "0" * 64


def link(previous: str, n: Notification) -> str:
    h = hashlib.sha256()
    for part in (previous, str(n.id), str(n.originator_id), str(n.originator_version), n.topic):
        h.update(part.encode())
        h.update(b"\x1f")
    h.update(bytes(n.state))
    return h.hexdigest()


class ChainProjection:
    """Appends links for events beyond the chain's head; never rewrites one."""

    name = "audit_chain"
    raw = True
    rebuildable = False
    topics: tuple[str, ...] = ()
    tables = (audit_chain,)
    HEAD = "head"

    def __init__(self) -> None:
        self._last: tuple[int, str] | None = None  # the head this process last wrote

    def prepare(self, conn: Connection, b: Batch, items: Sequence[Item]) -> None:
        if self.HEAD in b.memo:
            return
        # The runner claimed the checkpoint at the chain's own head (compare-and-set): if that is the
        # head this process wrote last, nobody else has linked since and its hash is the one we hold.
        if self._last is not None and b.memo.get(CLAIMED) == self._last[0]:
            b.memo[self.HEAD] = self._last
            return
        row = conn.execute(select(audit_chain).order_by(audit_chain.c.position.desc()).limit(1)).first()
        b.memo[self.HEAD] = (row.position, row.link) if row else (0, GENESIS)

    def apply(self, b: Batch, item: Item) -> None:
        position, previous = b.memo[self.HEAD]
        n = item.notification
        if n.id <= position:
            return  # linked already (the chain's rows and position move together; this is a guard)
        new = link(previous, n)
        b[audit_chain].put(dict(position=n.id, link=new))
        b.memo[self.HEAD] = self._last = (n.id, new)


def chain_head_position(conn: Connection) -> int:
    return int(conn.execute(select(func.max(audit_chain.c.position))).scalar() or 0)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_position: int
    head_link: str
    first_bad_position: int | None = None
    reason: str = ""
    pending_from: int | None = None  # events from here on are newer than the chain (not yet linked)


def head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        row = conn.execute(select(audit_chain).order_by(audit_chain.c.position.desc()).limit(1)).first()
    return (row.position, row.link) if row else (0, GENESIS)


def verify(recorder: ApplicationRecorder, engine: Engine, batch: int = 1000,
           progress: Callable[[int], None] | None = None) -> ChainReport:
    """Recompute every link from the stored events and compare, in constant memory."""
    previous, position, checked = GENESIS, 0, 0
    chain_head, head_link = head(engine)
    with engine.connect() as conn:
        while True:
            events = recorder.select_notifications(start=position, limit=batch, inclusive_of_start=False)
            if not events:
                break
            stored = {r.position: r.link for r in conn.execute(
                select(audit_chain).where(audit_chain.c.position > position, audit_chain.c.position <= events[-1].id))}
            for n in events:
                if n.id > chain_head:
                    return ChainReport(True, checked, chain_head, head_link, pending_from=n.id)
                expected = stored.pop(n.id, None)
                if expected is None:
                    return ChainReport(False, checked, chain_head, head_link, n.id, "event has no link in the chain")
                computed = link(previous, n)
                if computed != expected:
                    return ChainReport(False, checked, chain_head, head_link, n.id,
                                       "stored event does not match its link (altered, or the chain was)")
                previous, checked = computed, checked + 1
            if stored:  # links for events that are gone
                missing = min(stored)
                return ChainReport(False, checked, chain_head, head_link, missing, "chained event is missing")
            position = events[-1].id
            if progress:
                progress(position)
        leftover = conn.execute(select(audit_chain.c.position).where(audit_chain.c.position > position)
                                .order_by(audit_chain.c.position).limit(1)).scalar()
    if leftover is not None:
        return ChainReport(False, checked, chain_head, head_link, leftover, "chained event is missing")
    return ChainReport(True, checked, chain_head, head_link)
