"""Calendars: who is booked when, so that double bookings can be refused safely.

A host city may not host two overlapping in-person workshops, and one
delegate may not be registered for two overlapping workshops. Those rules
span aggregates; each is enforced through a small calendar aggregate saved
in the same atomic write as the workshop, so two concurrent bookings of one
calendar collide on its version and one of them is re-decided.

A calendar keeps the dates it was told; the workshop stays the truth (a
later reschedule or cancellation is read from the workshop when checking).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

CALENDAR_NAMESPACE = UUID("2f0c7d9a-4b1e-4c6f-9a3d-8e5b7c1d2f40")


def calendar_id(kind: str, owner_id: UUID) -> UUID:
    return uuid5(CALENDAR_NAMESPACE, f"{kind}/{owner_id}")


class Calendar(Aggregate):
    @staticmethod
    def create_id(kind: str, owner_id: UUID) -> UUID:
        return calendar_id(kind, owner_id)

    @event("Opened")
    def __init__(self, kind: str, owner_id: UUID) -> None:
        self.kind = kind
        self.owner_id = owner_id
        self.bookings: dict[UUID, tuple[date, date]] = {}

    def book(self, workshop_id: UUID, start: date, end: date) -> None:
        if self.bookings.get(workshop_id) != (start, end):
            self._booked(workshop_id=workshop_id, start=start, end=end)

    def release(self, workshop_id: UUID) -> None:
        if workshop_id in self.bookings:
            self._released(workshop_id=workshop_id)

    def overlapping(self, start: date, end: date, other_than: UUID) -> list[UUID]:
        return [w for w, (s, e) in self.bookings.items() if w != other_than and s <= end and start <= e]

    @event("Booked")
    def _booked(self, workshop_id: UUID, start: date, end: date) -> None:
        self.bookings[workshop_id] = (start, end)

    @event("Released")
    def _released(self, workshop_id: UUID) -> None:
        del self.bookings[workshop_id]
