"""A party: who can be responsible for an action, support it, or sign an agreement.

Cities, networks, a network's commission and organisations. A party is named
by a key that says its kind, stored as such in events so that the log is
self-describing: ``city:<uuid>``, ``network:<uuid>``,
``commission:<network uuid>:<commission uuid>``, ``organisation:<uuid>``.
Events written before parties existed carry bare city ids: a bare UUID reads
as a city party (``as_party``).
"""

from __future__ import annotations

import enum
from uuid import UUID

from citynet.domain.errors import InvalidInput


class PartyKind(str, enum.Enum):
    CITY = "city"
    NETWORK = "network"
    COMMISSION = "commission"
    ORGANISATION = "organisation"


def party_key(kind: PartyKind | str, uuid: UUID | str, network_id: UUID | str | None = None) -> str:
    kind = PartyKind(kind)
    if kind is PartyKind.COMMISSION:
        if network_id is None:
            raise ValueError("a commission party needs its network")
        return f"commission:{network_id}:{uuid}"
    return f"{kind.value}:{uuid}"


def city_party(city_id: UUID | str) -> str:
    return party_key(PartyKind.CITY, city_id)


def as_party(value: UUID | str, field: str = "partyId") -> str:
    """A party key, checked; a bare UUID (old events, city inputs) is a city."""
    if isinstance(value, UUID):
        return city_party(value)
    try:
        return city_party(UUID(value))
    except (ValueError, TypeError, AttributeError):
        pass
    kind, uuid, network = parse_party(value, field)
    return party_key(kind, uuid, network)


def parse_party(key: str, field: str = "partyId") -> tuple[PartyKind, UUID, UUID | None]:
    """(kind, the party's own id, the network of a commission)."""
    try:
        kind, *parts = key.split(":")
        party_kind = PartyKind(kind)
        ids = [UUID(p) for p in parts]
        if party_kind is PartyKind.COMMISSION and len(ids) == 2:
            return party_kind, ids[1], ids[0]
        if party_kind is not PartyKind.COMMISSION and len(ids) == 1:
            return party_kind, ids[0], None
    except (ValueError, AttributeError):
        pass
    raise InvalidInput(field, f"{key!r} is not a party (a city, network, commission or organisation)")


def party_uuid(key: str) -> UUID:
    """The party's own id (unique across kinds: each kind derives its ids in its own namespace)."""
    return parse_party(key)[1]


def party_kind(key: str) -> PartyKind:
    return parse_party(key)[0]


def city_of(key: str) -> UUID | None:
    """The city's id if the party is a city."""
    kind, uuid, _ = parse_party(key)
    return uuid if kind is PartyKind.CITY else None
