"""The projections of one process: set up, run in the background, caught up on demand, reported.

One round reads the next stretch of the log once, for every projection this
process runs (those it holds the lease for), and hands it to each runner;
each applies its share in a transaction of its own, so one failing
projection never holds up the others. After the round, the positions reached
are announced to the other processes in one notification.

``start`` runs the rounds in a background thread (woken by new events) and,
on PostgreSQL, one listener. ``catch_up`` runs them inline, for the CLI and
tests. Readers wait on the board; ``status`` reports each projection's
position, lag and stall.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, delete, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine

from citynet.services.projections import checkpoints
from citynet.services.projections.batch import Batch, write
from citynet.services.projections.board import PositionBoard
from citynet.services.projections.runner import Announcement, Decoder, Item, Progress, Projection, Runner
from citynet.services.projections.wakeup import Leases, Listener

log = logging.getLogger(__name__)

LEASE_RETRY_SECONDS = 2.0
PERSIST_AFTER_SECONDS = 1.0  # a position moved with no rows to write is stored this long after


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int
    stalled_at: int | None
    error: str | None
    failures: int

    @property
    def lag(self) -> int:
        """Events stored but not yet applied (positions have gaps, so an upper bound)."""
        return max(0, self.head - self.position)

    @property
    def state(self) -> str:
        if self.stalled_at is not None:
            return "stalled"
        return "current" if self.position >= self.head else "catching_up"


class _Separately(Exception):
    """The joint transaction of a round cannot be used: roll it back, apply runner by runner."""


def _write_claimed(conn: Connection, claims: list[tuple[str, int, int]], notice: list[dict[str, Any]],
                   build: Callable[[], list[Batch]]) -> bool:
    """Claim the checkpoints, then build the batches and write them, in the caller's transaction; False if
    a checkpoint had moved (the caller rolls back). The claim comes first, before any read-model table
    is touched, as everywhere checkpoints and tables are locked together (a rebuild's swap holds the
    checkpoint, then locks the live tables): the other order deadlocked with swaps. On PostgreSQL the
    claim and the transaction's BEGIN take one round trip, and the new rows one more (``write``)."""
    if conn.dialect.name != "postgresql":
        if not checkpoints.claim_all(conn, claims, notice):
            return False
    else:
        raw = conn.connection.driver_connection
        with raw.pipeline():
            claim = checkpoints.send_claims(raw, claims, notice)
        if not checkpoints.claimed(claim, claims):
            return False
    write(conn, *build())
    return True


class ProjectionEngine:
    def __init__(self, app: Any, engine: Engine, projections: Sequence[Projection], metadata: Sequence[MetaData],
                 dsn: str | None, events_channel: str | None, poll_seconds: float = 1.0) -> None:
        self.app = app
        self.engine = engine
        self.projections = list(projections)
        self.metadata = list(metadata)
        self.dsn = dsn  # PostgreSQL only: listener and leases
        self.events_channel = events_channel
        self.poll_seconds = poll_seconds
        self.board = PositionBoard()
        self.decoder = Decoder(app.mapper)
        self.runners = {p.name: Runner(p, engine, self.decoder, self.board) for p in self.projections}
        for runner in self.runners.values():
            runner.companions = self.runners.values
        self.leases = Leases(dsn)
        self.batch_size = 1000
        self._wake = threading.Event()
        self._round = threading.Lock()  # one round at a time in this process
        self._threads: list[threading.Thread] = []
        self._listener: Listener | None = None
        self._stopping = threading.Event()
        self.started = False  # background mode: positions are followed (and maybe applied) by threads
        self.running = False  # this process applies projections in the background

    # -- setting up ---------------------------------------------------------------------------

    def setup(self, initial: Callable[[str], int | None] | None = None) -> None:
        """Create tables and checkpoints. A new checkpoint starts where ``initial`` says (for data
        written before projections kept positions of their own), else at 0."""
        outdated = self._replace_outdated_tables()
        for md in self.metadata:
            md.create_all(self.engine)
        with self.engine.begin() as conn:
            legacy = checkpoints.legacy_position(conn)
            for name in self.runners:
                start = initial(name) if initial else None
                checkpoints.ensure(conn, name, start if start is not None else (legacy or 0))
            for name in outdated:  # tables made anew: replayed from the first event, in the background
                checkpoints.advance(conn, name, 0)
        self.load()

    def _replace_outdated_tables(self) -> list[str]:
        """Read models made by an older release are dropped, to be made anew and replayed: their rows are
        derived data. Older means: a table exists with other columns than this release defines (without
        this an upgraded database stalls on the first event writing a new column, and no rebuild can swap
        in tables with other columns), or the projection's ``version`` (its rules) is not the one its rows
        were made with. The audit chain is never dropped (it is not derived)."""
        checkpoints.projection_versions.create(self.engine, checkfirst=True)
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # one process at a time changes the tables
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('citynet projection tables'))"))
            inspector = inspect(conn)
            existing = set(inspector.get_table_names())
            made_with = {r.name: r.version for r in conn.execute(select(checkpoints.projection_versions))}
            outdated = []
            for name, runner in self.runners.items():
                if name == "audit_chain":
                    continue
                version = getattr(runner.projection, "version", 1)
                tables = [t for t in runner.projection.tables if t.name in existing]
                changed = any({c["name"] for c in inspector.get_columns(t.name)} != {c.name for c in t.columns}
                              for t in tables)
                if changed or (tables and made_with.get(name, 1) != version):
                    for t in tables:
                        t.drop(conn)
                    outdated.append(name)
                    log.warning("read model %s: made by an older release; made anew and replayed from the "
                                "first event", name)
                if made_with.get(name) != version:
                    conn.execute(delete(checkpoints.projection_versions).where(
                        checkpoints.projection_versions.c.name == name))
                    conn.execute(insert(checkpoints.projection_versions).values(name=name, version=version))
            return outdated

    def load(self) -> None:
        """Read every projection's position (the tables and checkpoints exist)."""
        for runner in self.runners.values():
            runner.load_position()
        self.board.saw_head(self.head())

    # -- running ------------------------------------------------------------------------------------

    def poke(self, position: int | None = None) -> None:
        """New events were committed (in this process, or announced by another)."""
        if position is not None:
            self.board.saw_head(position)
        self._wake.set()

    def start(self, apply: bool = True) -> None:
        """Run in the background: apply projections (unless ``apply`` is False) and follow positions."""
        self.started, self.running = True, apply
        self._stopping.clear()
        if apply:
            t = threading.Thread(target=self._run, name="citynet-projections", daemon=True)
            t.start()
            self._threads.append(t)
        if self.dsn and self.events_channel:
            self._listener = Listener(self.dsn, self.events_channel, self.board, self.poke, self.refresh,
                                     self.poll_seconds)
            self._listener.start()
            self._listener.connected.wait(5)
        elif not apply:
            t = threading.Thread(target=self._follow, name="citynet-positions", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stopping.set()
        self.poke()
        for t in self._threads:
            t.join(timeout=10)
        self._threads.clear()
        try:
            self._persist()
        except Exception:  # noqa: BLE001 - shutting down; the next start re-reads the stretch harmlessly
            log.warning("could not store the last positions", exc_info=True)
        if self._listener:
            self._listener.stop()
            self._listener = None
        self.leases.release_all()
        self.started = self.running = False

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            timeout = self.poll_seconds
            try:
                while not self._stopping.is_set() and self.round():
                    pass
                self._persist(older_than=PERSIST_AFTER_SECONDS)
            except Exception:  # noqa: BLE001 - the log or the database is unreachable: try again
                log.exception("projections could not read the log; retrying")
                timeout = max(timeout, LEASE_RETRY_SECONDS)
            if any(r.stalled_at is not None for r in self.runners.values()):
                timeout = min(timeout, 0.5)  # come back for the retries the runners scheduled
            if any(r.position > r.persisted for r in self.runners.values()):
                timeout = min(timeout, PERSIST_AFTER_SECONDS)
            self._wake.wait(timeout)

    def round(self) -> bool:
        """Read the next stretch of the log once and let every runner this process holds apply its share.
        True when something moved and there is more to read (call again)."""
        with self._round:
            # Inline (the CLI, tests) every projection is applied here: the compare-and-set keeps it
            # exact next to a server's runners, and a command never waits on another process.
            mine = [r for r in self.runners.values() if not self.started or self.leases.holds(r.name)]
            for r in mine:
                if not r.loaded:
                    self.refresh_one(r)  # other processes' positions come by notification
            active = [r for r in mine if r.ready()]
            if not active:
                return False
            # What the log holds after the lowest runner, read at once: no separate question for its head
            # first. Positions become visible in order (the store locks its table to insert), so the
            # last one read is the head when the batch is not full.
            notifications = self.app.recorder.select_notifications(
                start=min(r.position for r in active), limit=self.batch_size, inclusive_of_start=False)
            if not notifications:
                return False
            items = [Item(n.id, n) for n in notifications]
            end = items[-1].position
            self.board.saw_head(end)
            moved = self._apply([r for r in active if r.position < end], items, end)
            self._announce(moved)
            # Call again only if there is more to read now: a full batch, or a runner short of the end
            # (one resuming after a stall goes event by event). Events committed meanwhile have poked
            # the engine, so reading once more would find nothing new most times.
            return bool(moved) and (len(items) == self.batch_size or any(r.position < end for r in moved))

    def _apply(self, runners: list[Runner], items: list[Item], end: int) -> list[Runner]:
        """Let each runner apply its share of ``items``; the runners that moved.

        Several runners with rows to write (a live round: the directory, the event log and the audit chain
        for one registration) write them in one transaction, with one claim of their checkpoints and one
        announcement: a transaction per runner was most of a round's cost. If anything in it fails (a
        checkpoint moved by another process, an event a projection cannot apply, the database), it is
        rolled back and each runner goes its own way, which finds and stalls at a bad event alone."""
        shares = {r: share for r in runners if r.stalled_at is None and (share := r.share(items))}
        writing = list(shares)
        moved = [r for r in runners if r not in shares and r.apply(items, end)]
        if len(writing) < 2:
            return moved + [r for r in writing if r.apply(items, end)]
        announcement = Announcement([(r, end) for r in writing], self.runners.values())
        try:
            with self.engine.begin() as conn:
                if not _write_claimed(conn, [(r.name, r.persisted, end) for r in writing], announcement.notice,
                                      lambda: [r.build(conn, share) for r, share in shares.items()]):
                    raise _Separately("a checkpoint moved")
        except Exception as error:  # noqa: BLE001 - each runner then finds out alone
            log.debug("round applied runner by runner (%s)", error)
            return moved + [r for r in writing if r.apply(items, end)]
        for r in writing:
            r.committed(end)
        announcement.told()
        return moved + writing

    def _announce(self, runners: list[Runner]) -> None:
        """Tell other processes of positions that moved without a batch of rows (batches announce
        themselves in their own transaction)."""
        runners = [r for r in runners if r.announced != r.position or r.stalled_at is not None]
        if not runners or self.dsn is None:
            return
        with self.engine.begin() as conn:
            checkpoints.announce_all(conn, [{"n": r.name, "p": r.position, "s": r.stalled_at} for r in runners])
        for r in runners:
            r.announced = r.position

    def _persist(self, older_than: float = 0.0) -> None:
        for r in self.runners.values():
            if r.position > r.persisted:
                with self._round:
                    r.persist(older_than)

    def _follow(self) -> None:
        """Serving without projecting on SQLite: read positions from the database now and then."""
        while not self._stopping.wait(self.poll_seconds):
            self.refresh()

    def refresh(self) -> None:
        try:
            with self.engine.connect() as conn:
                for cp in checkpoints.read_all(conn).values():
                    self.board.post(cp.name, cp.position, cp.stalled_at, cp.error)
            self.board.saw_head(self.head())
        except Exception:  # noqa: BLE001
            log.warning("could not refresh projection positions", exc_info=True)

    def refresh_one(self, runner: Runner) -> None:
        try:
            runner.load_position()
        except Exception:  # noqa: BLE001
            log.warning("could not read the position of %s", runner.name, exc_info=True)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply every projection up to the head, in this thread; returns the lowest position reached."""
        for r in self.runners.values():
            if not r.loaded:
                r.load_position()
        while self.round():
            if progress:
                progress(min(r.position for r in self.runners.values()), self.board.head)
        self._persist()
        return min((r.position for r in self.runners.values()), default=0)

    # -- reading ------------------------------------------------------------------------------------

    def head(self) -> int:
        head = self.app.recorder.max_notification_id() or 0
        self.board.saw_head(head)
        return head

    @property
    def known_position(self) -> int:
        """What every healthy projection has reached, as this process knows (no I/O)."""
        return self.board.reached()

    def wait_for(self, position: int, timeout: float) -> bool:
        if not self.started and self.board.reached() < position:
            self.catch_up()
        return self.board.wait(position, timeout)

    async def wait_async(self, position: int, timeout: float) -> bool:
        return await self.board.wait_async(position, timeout)

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        with self.engine.connect() as conn:
            stored = checkpoints.read_all(conn)
        out = []
        for name, runner in self.runners.items():
            cp = stored.get(name) or checkpoints.Checkpoint(name, 0)
            position = max(cp.position, runner.position)  # this process may be ahead of what is stored
            out.append(ProjectionStatus(name, position, head, cp.stalled_at, cp.error, cp.failures))
        return out
