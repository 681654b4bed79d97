"""Personal data of delegates, kept out of the event log.

Events name a delegate only by a random person id. Names and e-mail addresses
live in this table, in the same database, so that they can later be erased
without touching the history. It is not a read model: a rebuild leaves it
alone.

A person is someone's delegate *for one city*: the row is keyed by the city
and the e-mail address, so one city can neither rename nor probe another
city's delegates by typing their address (decision 010).

Rows are written only after the command they belong to has been stored, and
deleted only by erasure. Registrations of one (city, e-mail) take turns
through ``claim`` so that two concurrent first registrations agree on one
person id instead of each minting its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Column, MetaData, String, Table, UniqueConstraint, select, update
from sqlalchemy.engine import Connection, Engine

personal_metadata = MetaData()

people = Table(
    "pd_people",
    personal_metadata,
    Column("person_id", String(36), primary_key=True),
    Column("city_id", String(36), nullable=False),
    Column("email", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    UniqueConstraint("city_id", "email", name="pd_people_city_email"),
)


@dataclass(frozen=True)
class Person:
    id: UUID
    city_id: UUID
    name: str
    email: str


def _row_person(row: object) -> Person:
    return Person(UUID(row.person_id), UUID(row.city_id), row.name, row.email)  # type: ignore[attr-defined]


def _lock_key(city_id: UUID, email: str) -> int:
    """A signed 64-bit key for pg_advisory_xact_lock, from the (city, e-mail) pair."""
    digest = hashlib.sha256(f"{city_id}/{email}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Claim:
    """One (city, e-mail) held for the length of a command: its person, if known, written ahead of it."""

    def __init__(self, conn: Connection | None, engine: Engine, city_id: UUID, email: str) -> None:
        self._conn, self._engine = conn, engine
        self.city_id, self.email = city_id, email
        with self._use() as c:
            row = c.execute(select(people).where(people.c.city_id == str(city_id), people.c.email == email)).first()
        self.person: Person | None = _row_person(row) if row is not None else None

    @contextlib.contextmanager
    def _use(self) -> Iterator[Connection]:
        """A transaction, committed when the block ends: on the claim's own connection (PostgreSQL, where
        it holds the lock for the whole claim), else a short one."""
        if self._conn is not None:
            try:
                yield self._conn
                self._conn.commit()
            except BaseException:
                self._conn.rollback()
                raise
        else:
            with self._engine.begin() as conn:
                yield conn

    def write_ahead(self, person_id: UUID, name: str, may_rename: bool) -> None:
        """Record the person before their command runs, committed at once: a projection (and a live
        subscription) that renders the registration right after the command commits then finds the name.
        ``undo`` takes it back if the command is refused. (A crash in between leaves a person with no
        registration: erasable like any other, and never shown, since nothing refers to them.)"""
        self._undo: tuple[str, str | None] | None = None
        with self._use() as c:
            if self.person is None:
                c.execute(people.insert().values(person_id=str(person_id), city_id=str(self.city_id),
                                                 email=self.email, name=name))
                self._undo = ("delete", None)
            elif may_rename and self.person.name != name:
                c.execute(update(people).where(people.c.person_id == str(person_id)).values(name=name))
                self._undo = ("rename", self.person.name)
        self._person_id = person_id

    def undo(self) -> None:
        undo = getattr(self, "_undo", None)
        if undo is None:
            return
        with self._use() as c:
            if undo[0] == "delete":
                c.execute(people.delete().where(people.c.person_id == str(self._person_id)))
            else:
                c.execute(update(people).where(people.c.person_id == str(self._person_id)).values(name=undo[1]))
        self._undo = None


class PeopleVault:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite: one process writes at a time anyway; this serialises claims within it.
        self._sqlite_claims = threading.Lock()

    def setup(self) -> None:
        personal_metadata.create_all(self.engine)

    @property
    def _is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def claim(self, city_id: UUID, email: str) -> Iterator[Claim]:
        """Hold (city, e-mail) until the block ends.

        PostgreSQL: a session advisory lock on one connection, so servers sharing the database take turns
        too; the person is written on that connection (committed at once, under the lock) before the
        command, and taken back if it is refused (``Claim.write_ahead``/``undo``)."""
        if self._is_sqlite:
            # The write cannot share a transaction with the command here: SQLite
            # has one writer and the event store needs it during the command.
            with self._sqlite_claims:
                yield Claim(None, self.engine, city_id, email)
            return
        key = _lock_key(city_id, email)
        with self.engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_lock(%s)", (key,))
            conn.commit()
            try:
                yield Claim(conn, self.engine, city_id, email)
            finally:
                try:
                    conn.rollback()
                    conn.exec_driver_sql("SELECT pg_advisory_unlock(%s)", (key,))
                    conn.commit()
                except Exception:  # noqa: BLE001 - a broken connection: closing it drops its locks
                    conn.invalidate()
                    raise

    def find(self, person_id: UUID) -> Person | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(people).where(people.c.person_id == str(person_id))).first()
        return _row_person(row) if row is not None else None

    def exists(self, person_id: UUID) -> bool:
        return self.find(person_id) is not None

    def erase(self, person_id: UUID) -> None:
        """Delete the row and leave no readable copy in the database files.

        SQLite runs with secure_delete (freed pages are zeroed) and the WAL is
        checkpointed; PostgreSQL rewrites the table (VACUUM FULL) so that the
        dead tuple is gone from the data files. Returns only once that is done,
        so the caller may then record the erasure."""
        person = self.find(person_id)
        if person is not None:
            with self.claim(person.city_id, person.email) as held:  # not while a registration writes them
                with held._use() as conn:
                    conn.execute(people.delete().where(people.c.person_id == str(person_id)))
        if self._is_sqlite:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM FULL pd_people")
