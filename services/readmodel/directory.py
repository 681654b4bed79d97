"""The directory projection: cities, networks, commissions, memberships.

Handlers change the rows of a batch in memory (see services/projections/batch.py);
the runner writes them, with the projection's position, in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from citynet.domain.city import City
from citynet.domain.network import Network
from citynet.domain.organisation import Organisation
from citynet.services.projections.batch import Batch
from citynet.services.projections.runner import Item
from citynet.services.readmodel.tables import (
    cities,
    commission_members,
    commissions,
    membership_periods,
    memberships,
    networks,
    organisations,
)
from citynet.services.readmodel.topics import topics_of

Handler = Callable[[Batch, Any, int], None]


def _city_registered(b: Batch, e: City.Registered, position: int) -> None:
    b[cities].put(dict(id=str(e.originator_id), name=e.name, country_code=e.country_code, time_zone=e.time_zone,
                       registered_position=position))


def _organisation_registered(b: Batch, e: Organisation.Registered, position: int) -> None:
    b[organisations].put(dict(id=str(e.originator_id), name=e.name, kind=e.kind, country_code=e.country_code,
                              description=e.description, registered_position=position))


def _network_founded(b: Batch, e: Network.Founded, position: int) -> None:
    b[networks].put(dict(id=str(e.originator_id), name=e.name, short_name=e.short_name, founded_on=e.founded_on,
                         description=e.description, website=e.website))


def _commission_added(b: Batch, e: Network.CommissionAdded, position: int) -> None:
    b[commissions].put(dict(id=str(e.commission_id), network_id=str(e.originator_id), name=e.name, head_city_id=None))


def _open_period(b: Batch, e: Any, position: int, role: str, valid_from: Any, member_since: Any) -> None:
    b[membership_periods].put(dict(started_position=position, network_id=str(e.originator_id), city_id=str(e.city_id),
                                   role=role, valid_from=valid_from, valid_to=None, member_since=member_since))


def _close_period(b: Batch, e: Any, valid_to: Any) -> None:
    periods = b[membership_periods]
    for row in list(periods.where(network_id=str(e.originator_id), city_id=str(e.city_id), valid_to=None)):
        periods.update((row["started_position"],), valid_to=valid_to)


def _member_admitted(b: Batch, e: Network.MemberAdmitted, position: int) -> None:
    b[memberships].put(dict(network_id=str(e.originator_id), city_id=str(e.city_id), role=e.role,
                            member_since=e.since, role_since=e.since))
    _open_period(b, e, position, e.role, e.since, e.since)


def _member_role_changed(b: Batch, e: Network.MemberRoleChanged, position: int) -> None:
    row = b[memberships].update((str(e.originator_id), str(e.city_id)), role=e.role, role_since=e.on)
    _close_period(b, e, e.on)
    _open_period(b, e, position, e.role, e.on, row["member_since"] if row else e.on)


def _member_left(b: Batch, e: Network.MemberLeft, position: int) -> None:
    network_id, city_id = str(e.originator_id), str(e.city_id)
    b[memberships].remove((network_id, city_id))
    _close_period(b, e, e.on)
    for commission in list(b[commissions].where(network_id=network_id)):
        b[commission_members].remove((commission["id"], city_id))
        if commission["head_city_id"] == city_id:
            b[commissions].update((commission["id"],), head_city_id=None)


def _add_commission_member(b: Batch, commission_id: str, city_id: str, position: int) -> None:
    if b[commission_members].get(commission_id, city_id) is None:
        b[commission_members].put(dict(commission_id=commission_id, city_id=city_id, since_position=position))


def _commission_member_assigned(b: Batch, e: Network.CommissionMemberAssigned, position: int) -> None:
    _add_commission_member(b, str(e.commission_id), str(e.city_id), position)


def _commission_headship_ended(b: Batch, e: Any, position: int) -> None:
    b[commissions].update((str(e.commission_id),), head_city_id=None)


def _commission_head_named(b: Batch, e: Network.CommissionHeadNamed, position: int) -> None:
    b[commissions].update((str(e.commission_id),), head_city_id=str(e.city_id))
    _add_commission_member(b, str(e.commission_id), str(e.city_id), position)


class DirectoryProjection:
    name = "directory"
    raw = False
    tables = (cities, networks, commissions, commission_members, memberships, membership_periods, organisations)

    handlers: dict[type, Handler] = {
        City.Registered: _city_registered,
        Organisation.Registered: _organisation_registered,
        Network.Founded: _network_founded,
        Network.CommissionAdded: _commission_added,
        Network.MemberAdmitted: _member_admitted,
        Network.MemberRoleChanged: _member_role_changed,
        Network.MemberLeft: _member_left,
        Network.CommissionMemberAssigned: _commission_member_assigned,
        Network.CommissionHeadNamed: _commission_head_named,
        Network.CommissionHeadshipEnded: _commission_headship_ended,
    }
    topics = topics_of(handlers)

    def prepare(self, conn: Connection, b: Batch, items: Sequence[Item]) -> None:
        if b.complete:
            return  # a rebuild holds every row already: nothing to load (and no per-event scan for it)
        pairs = {(str(i.event.originator_id), str(i.event.city_id)) for i in items if hasattr(i.event, "city_id")}
        network_ids = {(str(i.event.originator_id),) for i in items
                       if not isinstance(i.event, (City.Registered, Organisation.Registered))}
        commission_ids = {(str(i.event.commission_id),) for i in items if hasattr(i.event, "commission_id")}
        b[memberships].load(conn, pairs)
        b[membership_periods].load_groups(conn, ("network_id", "city_id"), pairs)
        b[commissions].load(conn, commission_ids)
        b[commissions].load_groups(conn, ("network_id",), network_ids)
        member_keys = {(c["id"], city) for (n, city) in pairs for c in b[commissions].where(network_id=n)}
        member_keys |= {(str(i.event.commission_id), str(i.event.city_id)) for i in items
                        if hasattr(i.event, "commission_id") and hasattr(i.event, "city_id")}
        b[commission_members].load(conn, member_keys)

    def apply(self, b: Batch, item: Item) -> None:
        handler = self.handlers.get(type(item.event))
        if handler is not None:
            handler(b, item.event, item.position)
