"""Read-model queries, async, for the API. No business rules here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncEngine

from citynet.services.readmodel.agreement_queries import AgreementQueries
from citynet.services.readmodel.audit_queries import AuditQueries
from citynet.services.readmodel.project_queries import ProjectQueries
from citynet.services.readmodel.translation_queries import TranslationQueries
from citynet.services.readmodel.workshop_queries import WorkshopQueries
from citynet.services.readmodel.paging import Page, check_first, decode_cursor, encode_cursor
from citynet.services.readmodel.row_cache import RowCache, kept
from citynet.services.projections.checkpoints import checkpoints
from citynet.services.readmodel.tables import (
    cities,
    commission_members,
    commissions,
    membership_periods,
    memberships,
    networks,
    organisations,
)


@dataclass(frozen=True)
class CityRow:
    id: str
    name: str
    country_code: str
    time_zone: str


@dataclass(frozen=True)
class NetworkRow:
    id: str
    name: str
    short_name: str
    founded_on: date
    description: str
    website: str = ""


@dataclass(frozen=True)
class OrganisationRow:
    id: str
    name: str
    kind: str
    country_code: str | None
    description: str


@dataclass(frozen=True)
class CommissionRow:
    id: str
    network_id: str
    name: str
    head_city_id: str | None


@dataclass(frozen=True)
class MembershipRow:
    network_id: str
    city_id: str
    city_name: str
    network_name: str
    role: str
    member_since: date
    role_since: date
    valid_to: date | None = None
    city_country_code: str = ""  # the city's row comes with the membership: no second query
    city_time_zone: str = ""

    @property
    def city(self) -> CityRow:
        return CityRow(self.city_id, self.city_name, self.city_country_code, self.city_time_zone)


def _city(r: Any) -> CityRow:
    return CityRow(r.id, r.name, r.country_code, r.time_zone)


def _network(r: Any) -> NetworkRow:
    return NetworkRow(r.id, r.name, r.short_name, r.founded_on, r.description, r.website)


def _organisation(r: Any) -> OrganisationRow:
    return OrganisationRow(r.id, r.name, r.kind, r.country_code, r.description)


def _commission(r: Any) -> CommissionRow:
    return CommissionRow(r.id, r.network_id, r.name, r.head_city_id)


def _membership_select() -> Any:
    return (
        select(
            memberships,
            cities.c.name.label("city_name"),
            cities.c.country_code.label("city_country_code"),
            cities.c.time_zone.label("city_time_zone"),
            networks.c.name.label("network_name"),
        )
        .join(cities, cities.c.id == memberships.c.city_id)
        .join(networks, networks.c.id == memberships.c.network_id)
    )


# The hottest reads are built once, with an expanding parameter for the id list: SQLAlchemy then
# finds their compiled form by a memoized cache key instead of walking a fresh statement each time.
_IDS = bindparam("ids", expanding=True)
_MEMBERS_BY_NETWORK = (_membership_select().where(memberships.c.network_id.in_(_IDS))
                       .order_by(cities.c.name, cities.c.id))
_MEMBERSHIPS_BY_CITY = (_membership_select().where(memberships.c.city_id.in_(_IDS))
                        .order_by(networks.c.name, networks.c.id))
_CITIES_BY_ID = select(cities).where(cities.c.id.in_(_IDS))
_NETWORKS_BY_ID = select(networks).where(networks.c.id.in_(_IDS))


class ReadModel(WorkshopQueries, AgreementQueries, ProjectQueries, AuditQueries, TranslationQueries):
    def __init__(self, engine: AsyncEngine, row_cache: RowCache | None = None) -> None:
        self.engine = engine
        self._pages: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        # Rows kept per projection version (row_cache.py): queries marked ``@kept`` run no SQL
        # while their projection has not moved.
        self.row_cache = row_cache

    async def _all(self, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(statement, params)).all())

    async def _grouped(self, statement: Any, key: str, convert: Any,
                       params: dict[str, Any] | None = None) -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = defaultdict(list)
        for r in await self._all(statement, params):
            grouped[getattr(r, key)].append(convert(r))
        return grouped

    async def _keyset_page(
        self, table: Any, where: Any, first: int | None, after: str | None, convert: Any,
        keys: tuple[str, str] = ("name", "id"),
    ) -> Page[Any]:
        limit = check_first(first)
        key = decode_cursor(after, 2)
        columns = [table.c[k] for k in keys]
        if where is None:  # unfiltered pages (networks, cities): statements built once
            stmt, total_stmt = self._unfiltered_page(table, keys, key is not None)
            params = {"limit": limit + 1, **({f"k{i}": v for i, v in enumerate(key)} if key else {})}
            rows = await self._all(stmt, params)
            items = [(encode_cursor([str(getattr(r, k)) for k in keys]), convert(r)) for r in rows[:limit]]
            return Page(items, len(rows) > limit, after is not None, None, lambda: self._count(total_stmt))
        conditions = [where] if where is not None else []
        total_stmt = select(func.count()).select_from(table)
        if conditions:
            total_stmt = total_stmt.where(*conditions)
        if key is not None:
            conditions.append(tuple_(*columns) > tuple_(*key))
        stmt = select(table).order_by(*columns).limit(limit + 1)
        if conditions:
            stmt = stmt.where(*conditions)
        rows = await self._all(stmt)
        items = [(encode_cursor([str(getattr(r, k)) for k in keys]), convert(r)) for r in rows[:limit]]
        return Page(items, len(rows) > limit, after is not None, None, lambda: self._count(total_stmt))

    def _unfiltered_page(self, table: Any, keys: tuple[str, ...], after: bool) -> tuple[Any, Any]:
        found = self._pages.get((table.name, keys, after))
        if found is None:
            columns = [table.c[k] for k in keys]
            stmt = select(table).order_by(*columns).limit(bindparam("limit"))
            if after:
                stmt = stmt.where(tuple_(*columns) > tuple_(*(bindparam(f"k{i}") for i in range(len(keys)))))
            found = self._pages[(table.name, keys, after)] = (stmt, select(func.count()).select_from(table))
        return found

    async def _count(self, statement: Any) -> int:
        return int((await self._all(statement))[0][0])

    # -- positions ------------------------------------------------------------

    async def position(self) -> int:
        """The position every read model has reached (the lowest checkpoint)."""
        rows = await self._all(select(func.min(checkpoints.c.position)))
        return int(rows[0][0] or 0) if rows else 0

    # -- networks -------------------------------------------------------------

    @kept("directory")
    async def networks_page(self, first: int | None, after: str | None) -> Page[NetworkRow]:
        return await self._keyset_page(networks, None, first, after, _network)

    @kept("directory")
    async def networks_by_id(self, ids: Iterable[str]) -> dict[str, NetworkRow]:
        rows = await self._all(_NETWORKS_BY_ID, {"ids": list(ids)})
        return {r.id: _network(r) for r in rows}

    @kept("directory")
    async def commissions_by_network(self, network_ids: Iterable[str]) -> dict[str, list[CommissionRow]]:
        return await self._grouped(
            select(commissions)
            .where(commissions.c.network_id.in_(list(network_ids)))
            .order_by(commissions.c.name, commissions.c.id),
            "network_id",
            _commission,
        )

    @kept("directory")
    async def commissions_by_id(self, ids: Iterable[str]) -> dict[str, CommissionRow]:
        rows = await self._all(select(commissions).where(commissions.c.id.in_(list(ids))))
        return {r.id: _commission(r) for r in rows}

    @kept("directory")
    async def commission_member_ids(self, commission_ids: Iterable[str]) -> dict[str, list[str]]:
        return await self._grouped(
            select(commission_members.c.commission_id, commission_members.c.city_id)
            .join(cities, cities.c.id == commission_members.c.city_id)
            .where(commission_members.c.commission_id.in_(list(commission_ids)))
            .order_by(cities.c.name, cities.c.id),
            "commission_id",
            lambda r: r.city_id,
        )

    # -- cities ---------------------------------------------------------------

    @kept("directory")
    async def cities_page(
        self,
        first: int | None,
        after: str | None,
        country_code: str | None = None,
        min_networks: int | None = None,
    ) -> Page[CityRow]:
        conditions = []
        if country_code:
            conditions.append(cities.c.country_code == country_code.upper())
        if min_networks is not None:
            bridging = (
                select(memberships.c.city_id)
                .group_by(memberships.c.city_id)
                .having(func.count(memberships.c.network_id) >= min_networks)
            )
            conditions.append(cities.c.id.in_(bridging.scalar_subquery()))
        where = and_(*conditions) if conditions else None
        return await self._keyset_page(cities, where, first, after, _city)

    @kept("directory")
    async def cities_by_id(self, ids: Iterable[str]) -> dict[str, CityRow]:
        rows = await self._all(_CITIES_BY_ID, {"ids": list(ids)})
        return {r.id: _city(r) for r in rows}

    # -- organisations --------------------------------------------------------

    async def organisations_page(self, first: int | None, after: str | None, kind: str | None = None,
                                 country_code: str | None = None) -> Page[OrganisationRow]:
        conditions = []
        if kind:
            conditions.append(organisations.c.kind == kind)
        if country_code:
            conditions.append(organisations.c.country_code == country_code.upper())
        where = and_(*conditions) if conditions else None
        return await self._keyset_page(organisations, where, first, after, _organisation)

    async def organisations_by_id(self, ids: Iterable[str]) -> dict[str, OrganisationRow]:
        rows = await self._all(select(organisations).where(organisations.c.id.in_(list(ids))))
        return {r.id: _organisation(r) for r in rows}

    async def parties_by_id(self, ids: Iterable[str]) -> dict[str, tuple[str, Any]]:
        """Any party by its own id (ids are unique across kinds): (kind, row), kind being city,
        network, commission or organisation. Four small batched queries."""
        wanted = list(dict.fromkeys(ids))
        found: dict[str, tuple[str, Any]] = {}
        for kind, fetch in (("city", self.cities_by_id), ("organisation", self.organisations_by_id),
                            ("network", self.networks_by_id), ("commission", self.commissions_by_id)):
            missing = [i for i in wanted if i not in found]
            if not missing:
                break
            for key, row in (await fetch(missing)).items():
                found[key] = (kind, row)
        return found

    # -- memberships ----------------------------------------------------------

    @staticmethod
    def _membership(r: Any, valid_to: date | None = None) -> MembershipRow:
        return MembershipRow(
            r.network_id, r.city_id, r.city_name, r.network_name, r.role, r.member_since, r.role_since, valid_to,
            r.city_country_code, r.city_time_zone,
        )

    @kept("directory")
    async def members_by_network(self, network_ids: Iterable[str]) -> dict[str, list[MembershipRow]]:
        return await self._grouped(_MEMBERS_BY_NETWORK, "network_id", self._membership, {"ids": list(network_ids)})

    @kept("directory")
    async def memberships_by_city(self, city_ids: Iterable[str]) -> dict[str, list[MembershipRow]]:
        return await self._grouped(_MEMBERSHIPS_BY_CITY, "city_id", self._membership, {"ids": list(city_ids)})

    def _period_select(self) -> Any:
        return (
            select(
                membership_periods.c.network_id,
                membership_periods.c.city_id,
                membership_periods.c.role,
                membership_periods.c.member_since,
                membership_periods.c.valid_from.label("role_since"),
                membership_periods.c.valid_to,
                cities.c.name.label("city_name"),
                cities.c.country_code.label("city_country_code"),
                cities.c.time_zone.label("city_time_zone"),
                networks.c.name.label("network_name"),
            )
            .join(cities, cities.c.id == membership_periods.c.city_id)
            .join(networks, networks.c.id == membership_periods.c.network_id)
        )

    @kept("directory")
    async def members_on(self, keys: Iterable[tuple[str, date]]) -> dict[tuple[str, date], list[MembershipRow]]:
        """Who belonged to each network on each given day, in which role: one query per distinct day."""
        by_day: dict[date, set[str]] = defaultdict(set)
        for network_id, on in keys:
            by_day[on].add(network_id)
        out: dict[tuple[str, date], list[MembershipRow]] = defaultdict(list)
        for on, network_ids in by_day.items():
            rows = await self._all(
                self._period_select()
                .where(
                    membership_periods.c.network_id.in_(sorted(network_ids)),
                    membership_periods.c.valid_from <= on,
                    or_(membership_periods.c.valid_to.is_(None), membership_periods.c.valid_to > on),
                )
                .order_by(cities.c.name, cities.c.id)
            )
            for r in rows:
                out[(r.network_id, on)].append(self._membership(r, r.valid_to))
        return out

    @kept("directory")
    async def membership_history(
        self, keys: Iterable[tuple[str | None, str | None]]
    ) -> dict[tuple[str | None, str | None], list[MembershipRow]]:
        """Every period in a role, oldest first, per (network id, city id) key (None: any): one query."""
        keys = list(keys)
        wanted = []
        for network_id, city_id in keys:
            clause = []
            if network_id is not None:
                clause.append(membership_periods.c.network_id == network_id)
            if city_id is not None:
                clause.append(membership_periods.c.city_id == city_id)
            wanted.append(and_(*clause) if clause else membership_periods.c.network_id.is_not(None))
        rows = await self._all(self._period_select().where(or_(*wanted))
                               .order_by(membership_periods.c.valid_from, membership_periods.c.started_position))
        out: dict[tuple[str | None, str | None], list[MembershipRow]] = {}
        for network_id, city_id in keys:
            out[(network_id, city_id)] = [
                self._membership(r, r.valid_to) for r in rows
                if (network_id is None or r.network_id == network_id) and (city_id is None or r.city_id == city_id)]
        return out
