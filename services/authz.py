"""Who may do what. Enforced here, in the service layer, whatever the caller.

Roles:
- admin: everything;
- coordinator (of one or more networks): manages those networks, and the
  workshops, polls, plans and protocols those networks organise;
- city_representative (of one city): registers and withdraws that city's
  delegates, answers date polls and endorses for that city, reports progress
  on actions that city leads;
- auditor: reads everything, history included, personal data only as
  pseudonymous ids; changes nothing;
- anonymous: reads networks, cities, published workshops and adopted plans;
  no personal data; changes nothing.
- system: the CLI and the demo loader (operators on the machine): as admin.

A refusal is ``NotAllowed`` naming the missing permission; nothing is stored.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from uuid import UUID

from citynet.domain.errors import NotAllowed
from citynet.services.attribution import Actor, current


class Role(str, enum.Enum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    CITY_REPRESENTATIVE = "city_representative"
    AUDITOR = "auditor"
    ANONYMOUS = "anonymous"
    SYSTEM = "system"


def actor() -> Actor:
    return current().actor


def is_admin(a: Actor | None = None) -> bool:
    return (a or actor()).role in (Role.ADMIN.value, Role.SYSTEM.value)


def coordinates(network_ids: Iterable[UUID | str], a: Actor | None = None) -> bool:
    a = a or actor()
    return a.role == Role.COORDINATOR.value and bool({str(n) for n in network_ids} & set(a.network_ids))


def represents(city_id: UUID | str | None, a: Actor | None = None) -> bool:
    a = a or actor()
    return city_id is not None and a.role == Role.CITY_REPRESENTATIVE.value and a.city_id == str(city_id)


def require(permission: str, allowed: bool) -> None:
    if not allowed:
        a = actor()
        raise NotAllowed(permission, f"not allowed: {a.role} {a.id!r} lacks the permission {permission!r}")


# Roles that may change some record (which one is decided per record and command).
WRITERS = frozenset({Role.ADMIN.value, Role.SYSTEM.value, Role.COORDINATOR.value, Role.CITY_REPRESENTATIVE.value})


def require_writer(permission: str) -> None:
    """Readers (anonymous, auditors) are refused before anything is looked up: whether a record exists,
    or what state it is in, is never told by their refusal."""
    require(permission, actor().role in WRITERS)


def require_admin(permission: str) -> None:
    require(permission, is_admin())


def require_admin_or_coordinator(permission: str) -> None:
    """Admins, and coordinators of any network (organisations are partners of every network's work)."""
    a = actor()
    require(permission, is_admin(a) or (a.role == Role.COORDINATOR.value and bool(a.network_ids)))


def require_manager(permission: str, network_ids: Iterable[UUID | str]) -> None:
    """Admins, and coordinators of one of the networks concerned."""
    require(permission, is_admin() or coordinates(network_ids))


def require_manager_of_all(permission: str, network_ids: Iterable[UUID | str]) -> None:
    """Admins, and coordinators of every one of the networks named (at least one). Naming a network as
    the organiser of a gathering speaks for it: coordinating one of the organisers is not enough."""
    a = actor()
    if is_admin(a):
        return
    wanted = {str(n) for n in network_ids}
    missing = sorted(wanted - set(a.network_ids)) if a.role == Role.COORDINATOR.value else sorted(wanted)
    if not wanted or missing:
        raise NotAllowed(permission, f"not allowed: {a.role} {a.id!r} lacks the permission {permission!r}"
                         + (f" for the network(s) {', '.join(missing)}" if missing else ""))


def mine(network_ids: Iterable[UUID], a: Actor | None = None) -> list[UUID]:
    """The networks among ``network_ids`` the caller may speak for: all of them for admins, the ones
    they coordinate for coordinators, none for anyone else."""
    a = a or actor()
    if is_admin(a):
        return list(network_ids)
    if a.role != Role.COORDINATOR.value:
        return []
    return [n for n in network_ids if str(n) in set(a.network_ids)]


def require_manager_or_city(permission: str, network_ids: Iterable[UUID | str], city_id: UUID | str | None) -> None:
    """Managers as above, and the representatives of the city concerned."""
    require(permission, is_admin() or coordinates(network_ids) or represents(city_id))


def require_city(permission: str, city_id: UUID | str) -> None:
    """Only the city itself (or an admin) may speak for it: endorsements, poll answers."""
    require(permission, is_admin() or represents(city_id))


# -- reading ----------------------------------------------------------------------------
# Read rules, in one place. The read-model layer (services/readmodel/visibility.py) applies
# them to rows before any resolver sees them; resolvers never check a role.

PUBLISHED_WORKSHOP_STATUSES = ("scheduled", "confirmed", "held", "cancelled")


def can_read_history(a: Actor | None = None) -> bool:
    return (a or actor()).role in (Role.ADMIN.value, Role.SYSTEM.value, Role.AUDITOR.value)


def is_public(a: Actor | None = None) -> bool:
    return (a or actor()).role == Role.ANONYMOUS.value


def reads_everything(a: Actor | None = None) -> bool:
    """Admins, operators and auditors see every record (auditors: personal data only as ids)."""
    return can_read_history(a)


def takes_part(network_ids: Iterable[UUID | str], partner_city_ids: Iterable[UUID | str],
               a: Actor | None = None) -> bool:
    """Coordinators of an organising network and representatives of a partner city."""
    a = a or actor()
    return coordinates(network_ids, a) or (
        a.role == Role.CITY_REPRESENTATIVE.value and a.city_id in {str(c) for c in partner_city_ids})


def can_see_workshop(status: str, network_ids: Iterable[UUID | str], partner_city_ids: Iterable[UUID | str],
                     a: Actor | None = None) -> bool:
    """Published workshops are public; a proposal is the business of those who take part in it."""
    a = a or actor()
    return status in PUBLISHED_WORKSHOP_STATUSES or reads_everything(a) or takes_part(
        network_ids, partner_city_ids, a)


def can_see_meeting_link(network_ids: Iterable[UUID | str], partner_city_ids: Iterable[UUID | str],
                         a: Actor | None = None) -> bool:
    """The online room is for those taking part: the organisers' coordinators, the partner cities'
    representatives (who pass it on to their delegates), auditors and admins. Published or not:
    a public link invites strangers into a crisis-management meeting."""
    a = a or actor()
    return reads_everything(a) or takes_part(network_ids, partner_city_ids, a)


def can_see_personal_data(workshop_network_ids: Iterable[UUID | str], delegate_city_id: str,
                          a: Actor | None = None) -> bool:
    """A delegate's name and e-mail: that workshop's coordinators, the delegate's city, admins."""
    a = a or actor()
    return is_admin(a) or coordinates(workshop_network_ids, a) or represents(delegate_city_id, a)


def can_see_person_id(workshop_network_ids: Iterable[UUID | str], delegate_city_id: str,
                      a: Actor | None = None) -> bool:
    """The person id links one person across workshops, so it is personal data too: shown to those
    who see the name, and to auditors (who work with pseudonymous ids)."""
    a = a or actor()
    return reads_everything(a) or can_see_personal_data(workshop_network_ids, delegate_city_id, a)


def can_see_drafts(a: Actor | None = None) -> bool:
    """Plans and protocols before adoption, and their draft versions: signed-in users only."""
    return not is_public(a)


def visibility_key(a: Actor) -> tuple[str, ...]:
    """Two callers with the same key are shown exactly the same data by every rule above: the
    role, and the city or networks it acts for (not who the caller is). Response caches key on it."""
    if a.role in (Role.ADMIN.value, Role.SYSTEM.value):
        return ("admin",)
    if a.role in (Role.AUDITOR.value, Role.ANONYMOUS.value):
        return (a.role,)
    return (a.role, a.city_id or "", *sorted(a.network_ids))
