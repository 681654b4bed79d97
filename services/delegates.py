"""Registering delegates and erasing people: the commands that touch personal data.

The event log holds only pseudonymous person ids; names and e-mails live in
the people vault (services/people.py). The rules here (decision 010):

- personal data is written only after the registration is stored, and only
  the person's own city (or an admin) may change a stored name;
- nothing about a person is deleted except by erasure, so no decision here
  depends on how far a projection has got;
- an erasure deletes the row first and records ``PersonErased`` only once
  the deletion is done: a crash in between leaves data deleted without the
  record (a retry adds it), never a record of an erasure that did not happen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError
from sqlalchemy import select

from citynet.domain.errors import NotFound
from citynet.domain.person import Erasure, erasure_id
from citynet.domain.values import clean_name
from citynet.domain.workshop import Workshop
from citynet.domain.workshop_values import clean_email
from citynet.services import authz
from citynet.services.application import Recorded
from citynet.services.readmodel.tables import registrations

if TYPE_CHECKING:
    from citynet.services.runtime import Citynet


def register_delegate(citynet: Citynet, workshop_id: UUID, city_id: UUID, name: str, email: str,
                      function: str, registration_id: UUID | None = None) -> Recorded:
    """Register a delegate of ``city_id``; their name and e-mail go to the vault, not the log."""
    name, email = clean_name("name", name), clean_email(email)
    # Checked before any lock is taken; the command checks again, atomically.
    workshop = citynet.app.get(Workshop, workshop_id, "workshopId")
    authz.require_manager_or_city("delegate:register", workshop.network_ids, city_id)
    with citynet.people.claim(city_id, email) as claim:
        person_id = claim.person.id if claim.person is not None else uuid4()
        # Written before the event, so whoever renders the registration (a live subscription right after
        # the commit) finds the name; taken back if the command is refused. Coordinators register
        # delegates of any partner city, but only the city itself (or an admin) renames one.
        claim.write_ahead(person_id, name, may_rename=authz.is_admin() or authz.represents(city_id))
        try:
            recorded = citynet.execute(lambda app: app.register_delegate(
                workshop_id, person_id=person_id, city_id=city_id, function=function,
                registration_id=registration_id))
        except BaseException:
            claim.undo()
            raise
    return recorded


def erase_person(citynet: Citynet, person_id: UUID) -> Recorded:
    """Erase a person's name and e-mail for good; the history keeps who erased whom when.

    Idempotent: erasing again (or concurrently) answers with the recorded erasure."""
    authz.require_admin("person:erase")
    erasure = erasure_id(person_id)
    known = citynet.people.exists(person_id) or citynet.app.exists(erasure) or _has_registrations(citynet, person_id)
    if not known:
        raise NotFound("Person", person_id, "personId")
    citynet.people.erase(person_id)  # first: the record below must never claim a deletion that did not happen
    if citynet.app.exists(erasure):
        return Recorded(erasure, citynet.projections.head())
    try:
        return citynet.execute(lambda app: Recorded(erasure, app._save(Erasure(person_id=person_id))))
    except IntegrityError:
        # A concurrent erasure recorded it first; the row is gone either way.
        return Recorded(erasure, citynet.projections.head())


def _has_registrations(citynet: Citynet, person_id: UUID) -> bool:
    # Only to tell "unknown person" from "known, nothing left to delete": no data is kept or dropped on it.
    with citynet.sync_engine.connect() as conn:
        return conn.execute(
            select(registrations.c.id).where(registrations.c.person_id == str(person_id)).limit(1)
        ).first() is not None
