"""Personal data of delegates, kept out of the event log.

Events name a delegate only by a random person id. Names and e-mail addresses
live in this table, in the same database, so that they can later be erased
(issue 6) without touching the history. It is not a read model: a rebuild
leaves it alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Column, MetaData, String, Table, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from citynet.domain.values import clean_name
from citynet.domain.workshop_values import clean_email

personal_metadata = MetaData()

people = Table(
    "pd_people",
    personal_metadata,
    Column("person_id", String(36), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
)


@dataclass(frozen=True)
class Person:
    id: UUID
    name: str
    email: str


class PeopleVault:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def setup(self) -> None:
        personal_metadata.create_all(self.engine)

    def identify(self, name: str, email: str) -> Person:
        """The person with this e-mail (case of the domain ignored), created if new; the name is kept current."""
        name, email = clean_name("name", name), clean_email(email)
        for _ in range(3):
            with self.engine.begin() as conn:
                row = conn.execute(select(people).where(people.c.email == email)).first()
                if row is not None:
                    if row.name != name:
                        conn.execute(update(people).where(people.c.person_id == row.person_id).values(name=name))
                    return Person(UUID(row.person_id), name, email)
                person_id = uuid.uuid4()
                try:
                    with conn.begin_nested():
                        conn.execute(people.insert().values(person_id=str(person_id), email=email, name=name))
                except IntegrityError:
                    continue  # registered concurrently: read it again
                return Person(person_id, name, email)
        raise RuntimeError("could not identify person")  # pragma: no cover

    def exists(self, person_id: UUID) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(people.c.person_id).where(people.c.person_id == str(person_id))).first() is not None

    def forget(self, person_id: UUID) -> None:
        with self.engine.begin() as conn:
            conn.execute(people.delete().where(people.c.person_id == str(person_id)))

    def erase(self, person_id: UUID) -> None:
        """Delete the row and leave no readable copy in the database files.

        SQLite runs with secure_delete (freed pages are zeroed) and the WAL is
        checkpointed; PostgreSQL rewrites the table (VACUUM FULL) so that the
        dead tuple is gone from the data files."""
        self.forget(person_id)
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM FULL pd_people")
