"""The record that a person's personal data was erased.

Names and e-mails never enter the event log (they live in a deletable
store); this aggregate keeps, in the log, only the pseudonymous person id and
who erased it when, so the history shows the erasure without the data."""

from __future__ import annotations

from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

ERASURE_NAMESPACE = UUID("7c3e9a1d-2b4f-4e6a-8d0c-5f1a3b7e9d21")


def erasure_id(person_id: UUID) -> UUID:
    return uuid5(ERASURE_NAMESPACE, str(person_id))


class Erasure(Aggregate):
    @staticmethod
    def create_id(person_id: UUID) -> UUID:
        return erasure_id(person_id)

    @event("PersonErased")
    def __init__(self, person_id: UUID) -> None:
        self.person_id = person_id
