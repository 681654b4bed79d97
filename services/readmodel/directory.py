"""The directory projection: cities, networks, commissions, memberships.

Handlers receive the SQLAlchemy connection of the projector's transaction;
they never commit. The projector commits their rows together with the new
position, which is what makes the projection exactly-once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, delete, insert, update
from sqlalchemy.engine import Connection

from citynet.domain.city import City
from citynet.domain.network import Network
from citynet.services.readmodel.tables import (
    cities,
    commission_members,
    commissions,
    membership_periods,
    memberships,
    networks,
)

Handler = Callable[[Connection, Any, int], None]


def _city_registered(conn: Connection, e: City.Registered, position: int) -> None:
    conn.execute(
        insert(cities).values(
            id=str(e.originator_id),
            name=e.name,
            country_code=e.country_code,
            time_zone=e.time_zone,
            registered_position=position,
        )
    )


def _network_founded(conn: Connection, e: Network.Founded, position: int) -> None:
    conn.execute(
        insert(networks).values(
            id=str(e.originator_id),
            name=e.name,
            short_name=e.short_name,
            founded_on=e.founded_on,
            description=e.description,
            website=e.website,
        )
    )


def _commission_added(conn: Connection, e: Network.CommissionAdded, position: int) -> None:
    conn.execute(
        insert(commissions).values(
            id=str(e.commission_id), network_id=str(e.originator_id), name=e.name, head_city_id=None
        )
    )


def _open_period(conn: Connection, e: Any, position: int, role: str, valid_from: Any, member_since: Any) -> None:
    conn.execute(
        insert(membership_periods).values(
            started_position=position,
            network_id=str(e.originator_id),
            city_id=str(e.city_id),
            role=role,
            valid_from=valid_from,
            valid_to=None,
            member_since=member_since,
        )
    )


def _close_period(conn: Connection, e: Any, valid_to: Any) -> None:
    conn.execute(
        update(membership_periods)
        .where(
            and_(
                membership_periods.c.network_id == str(e.originator_id),
                membership_periods.c.city_id == str(e.city_id),
                membership_periods.c.valid_to.is_(None),
            )
        )
        .values(valid_to=valid_to)
    )


def _member_key(e: Any) -> Any:
    return and_(
        memberships.c.network_id == str(e.originator_id),
        memberships.c.city_id == str(e.city_id),
    )


def _member_admitted(conn: Connection, e: Network.MemberAdmitted, position: int) -> None:
    conn.execute(
        insert(memberships).values(
            network_id=str(e.originator_id),
            city_id=str(e.city_id),
            role=e.role,
            member_since=e.since,
            role_since=e.since,
        )
    )
    _open_period(conn, e, position, e.role, e.since, e.since)


def _member_role_changed(conn: Connection, e: Network.MemberRoleChanged, position: int) -> None:
    row = conn.execute(memberships.select().where(_member_key(e))).one()
    conn.execute(update(memberships).where(_member_key(e)).values(role=e.role, role_since=e.on))
    _close_period(conn, e, e.on)
    _open_period(conn, e, position, e.role, e.on, row.member_since)


def _member_left(conn: Connection, e: Network.MemberLeft, position: int) -> None:
    conn.execute(delete(memberships).where(_member_key(e)))
    _close_period(conn, e, e.on)
    network_commissions = commissions.select().with_only_columns(commissions.c.id).where(
        commissions.c.network_id == str(e.originator_id)
    )
    conn.execute(
        delete(commission_members).where(
            and_(
                commission_members.c.city_id == str(e.city_id),
                commission_members.c.commission_id.in_(network_commissions.scalar_subquery()),
            )
        )
    )
    conn.execute(
        update(commissions)
        .where(
            and_(
                commissions.c.network_id == str(e.originator_id),
                commissions.c.head_city_id == str(e.city_id),
            )
        )
        .values(head_city_id=None)
    )


def _add_commission_member(conn: Connection, commission_id: str, city_id: str, position: int) -> None:
    exists = conn.execute(
        commission_members.select().where(
            and_(
                commission_members.c.commission_id == commission_id,
                commission_members.c.city_id == city_id,
            )
        )
    ).first()
    if exists is None:
        conn.execute(
            insert(commission_members).values(commission_id=commission_id, city_id=city_id, since_position=position)
        )


def _commission_member_assigned(conn: Connection, e: Network.CommissionMemberAssigned, position: int) -> None:
    _add_commission_member(conn, str(e.commission_id), str(e.city_id), position)


def _commission_headship_ended(conn: Connection, e: Any, position: int) -> None:
    conn.execute(update(commissions).where(commissions.c.id == str(e.commission_id)).values(head_city_id=None))


def _commission_head_named(conn: Connection, e: Network.CommissionHeadNamed, position: int) -> None:
    conn.execute(
        update(commissions).where(commissions.c.id == str(e.commission_id)).values(head_city_id=str(e.city_id))
    )
    _add_commission_member(conn, str(e.commission_id), str(e.city_id), position)


class DirectoryProjection:
    name = "directory"

    handlers: dict[type, Handler] = {
        City.Registered: _city_registered,
        Network.Founded: _network_founded,
        Network.CommissionAdded: _commission_added,
        Network.MemberAdmitted: _member_admitted,
        Network.MemberRoleChanged: _member_role_changed,
        Network.MemberLeft: _member_left,
        Network.CommissionMemberAssigned: _commission_member_assigned,
        Network.CommissionHeadNamed: _commission_head_named,
        Network.CommissionHeadshipEnded: _commission_headship_ended,
    }

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(conn, event, position)
