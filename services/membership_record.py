"""Two times for memberships: effective dates, and what citynet had recorded at a moment.

A membership's ``since``/``on`` dates are *effective* dates: when a city joined,
changed role or left, in the world (UBC's founding members joined in 1991). The
events' timestamps are *record* times: when citynet learnt it (the demo loaded
today records 1991 as a past fact). The read model answers effective-date
questions for what citynet knows now (``membersOn(on:)``); ``knownAt`` answers
them as citynet knew them at a moment, by folding the network's own events
recorded up to that moment (the event log is the record; no read model keeps
superseded knowledge).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from citynet.domain.errors import InvalidInput
from citynet.domain.network import Network
from citynet.services.application import CitynetApplication


@dataclass(frozen=True)
class KnownPeriod:
    network_id: str
    city_id: str
    role: str
    member_since: date
    valid_from: date
    valid_to: date | None


def check_known_at(known_at: datetime) -> datetime:
    if known_at.tzinfo is None:
        raise InvalidInput("knownAt", "must carry an offset (e.g. 2026-11-21T12:00:00Z)")
    return known_at


def periods_known_at(app: CitynetApplication, network_id: UUID, known_at: datetime) -> list[KnownPeriod]:
    """Membership periods of one network as recorded by ``known_at``, oldest first (by effective date)."""
    check_known_at(known_at)
    periods: list[KnownPeriod] = []
    open_: dict[str, int] = {}  # city -> index of its open period
    for e in app.events.get(network_id):
        if e.timestamp > known_at:
            break  # an aggregate's events are recorded in order
        if isinstance(e, Network.MemberAdmitted):
            open_[str(e.city_id)] = len(periods)
            periods.append(KnownPeriod(str(network_id), str(e.city_id), e.role, e.since, e.since, None))
        elif isinstance(e, (Network.MemberRoleChanged, Network.MemberLeft)):
            i = open_.pop(str(e.city_id), None)
            if i is None:  # pragma: no cover - the aggregate refuses it
                continue
            periods[i] = replace(periods[i], valid_to=e.on)
            if isinstance(e, Network.MemberRoleChanged):
                open_[str(e.city_id)] = len(periods)
                periods.append(KnownPeriod(str(network_id), str(e.city_id), e.role, periods[i].member_since,
                                           e.on, None))
    return sorted(periods, key=lambda p: p.valid_from)


def on_day(periods: list[KnownPeriod], on: date) -> list[KnownPeriod]:
    """The periods in force on an effective day: [validFrom, validTo)."""
    return [p for p in periods if p.valid_from <= on and (p.valid_to is None or on < p.valid_to)]
