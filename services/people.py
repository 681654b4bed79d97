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
    """One (city, e-mail) held for the length of a command: its person, if known, and the write after success."""

    def __init__(self, conn: Connection | None, engine: Engine, city_id: UUID, email: str) -> None:
        self._conn, self._engine = conn, engine
        self.city_id, self.email = city_id, email
        with self._use() as c:
            row = c.execute(select(people).where(people.c.city_id == str(city_id), people.c.email == email)).first()
        self.person: Person | None = _row_person(row) if row is not None else None

    @contextlib.contextmanager
    def _use(self) -> Iterator[Connection]:
        if self._conn is not None:
            yield self._conn
        else:
            with self._engine.begin() as conn:
                yield conn

    def keep(self, person_id: UUID, name: str, may_rename: bool) -> None:
        """Record the person after their command succeeded; an existing name changes only for whoever may."""
        with self._use() as c:
            if self.person is None:
                c.execute(people.insert().values(person_id=str(person_id), city_id=str(self.city_id),
                                                 email=self.email, name=name))
            elif may_rename and self.person.name != name:
                c.execute(update(people).where(people.c.person_id == str(person_id)).values(name=name))


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
        """Hold (city, e-mail) until the block ends; what ``keep`` writes commits only if the block succeeds.

        PostgreSQL: a transaction-scoped advisory lock, so servers sharing the
        database take turns too; the row is written in that transaction. No
        row is written before the command, so a refusal leaves nothing."""
        if self._is_sqlite:
            # The write cannot share a transaction with the command here: SQLite
            # has one writer and the event store needs it during the command.
            with self._sqlite_claims:
                yield Claim(None, self.engine, city_id, email)
            return
        with self.engine.begin() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (_lock_key(city_id, email),))
            yield Claim(conn, self.engine, city_id, email)

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
