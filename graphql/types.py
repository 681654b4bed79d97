"""GraphQL object types for the directory: cities, networks, commissions, memberships."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, NewType, TypeVar

import strawberry

from citynet.domain.organisation import OrganisationKind as DomainOrganisationKind
from citynet.domain.values import MemberRole as DomainMemberRole
from citynet.graphql.context import Info
from citynet.graphql.ids import from_global_id, to_global_id
from citynet.services.readmodel.paging import Page, page_in_memory
from citynet.services.readmodel.queries import CityRow, CommissionRow, MembershipRow, NetworkRow, OrganisationRow

if TYPE_CHECKING:
    from citynet.graphql.workshop_types import Registration

T = TypeVar("T")

MemberRole = strawberry.enum(DomainMemberRole, name="MemberRole", description="How a city takes part in a network.")

OrganisationKind = strawberry.enum(
    DomainOrganisationKind, name="OrganisationKind",
    description="What an organisation is: ASSOCIATION (of local authorities or citizens), AGENCY, RESEARCH, "
                "INDUSTRY, EXPERT_GROUP (a committee or group of experts), PUBLIC_BODY (governments, EU "
                "institutions, regions), NETWORK (a network whose membership citynet does not record).")

Position = strawberry.scalar(
    NewType("Position", int),
    name="Position",
    description=(
        "A position in the event log (a 64-bit integer). Send it back in the "
        "X-Citynet-Min-Position header to read your own writes from any server."
    ),
    serialize=int,
    parse_value=lambda value: _position(value),
)


def _position(value: Any) -> int:
    """A position sent by a client: a whole number from 0 to 2^63 - 1 (a JSON number, or its ASCII digits
    as a string); not a negative, a fraction, 1e3 or true (int() took them all: -5 read as 0)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if type(value) is not int or not 0 <= value < 2**63:
        raise ValueError(f"a position is a whole number from 0 to 2^63 - 1, not {value!r}")
    return value


ON = ("Effective date: the day in the world the question is about (a city joined UBC in 1991), in the "
      "member city's calendar. Periods are half-open: a city that left on a day is no member on it.")
KNOWN_AT = ("Record time: answer as citynet knew it at this moment (an ISO 8601 date-time with an offset), from "
            "the event log's timestamps; facts recorded later are left out, even if their effective dates are "
            "earlier. Omit it for what citynet knows now.")

@strawberry.interface(description="An object with a global id, stable across restarts.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A Relay-style page of results; pass endCursor as `after` for the next page.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    page: strawberry.Private[Page]

    @strawberry.field(description="How many there are in all (counted only when asked for).")
    async def total_count(self) -> int:
        return await self.page.total()


def to_connection(page: Page, convert) -> Connection:  # type: ignore[no-untyped-def,type-arg]
    edges = [Edge(cursor=cursor, node=convert(item)) for cursor, item in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        page=page,
    )


async def city_by_id(info: Info, city_id: str) -> City:
    """A city that the read model must hold (rows refer only to projected cities)."""
    row = await info.context.load.city.load(city_id)
    assert row is not None, f"city {city_id} missing from the read model"
    return City.from_row(row)


async def network_by_id(info: Info, network_id: str) -> Network:
    row = await info.context.load.network.load(network_id)
    assert row is not None, f"network {network_id} missing from the read model"
    return Network.from_row(row)


@strawberry.type(description="A city taking part in one or more networks.")
class City(Node):
    id: strawberry.ID
    name: str
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2.")
    time_zone: str = strawberry.field(description="IANA time zone, e.g. Europe/Riga.")
    row: strawberry.Private[CityRow]

    @classmethod
    def from_row(cls, row: CityRow) -> City:
        return cls(id=to_global_id("City", row.id), name=row.name, country_code=row.country_code,
                   time_zone=row.time_zone, row=row)

    @strawberry.field(description="Current memberships, one per network.")
    async def memberships(self, info: Info) -> list[Membership]:
        rows = await info.context.load.memberships_of_city.load(self.row.id)
        return [Membership.from_row(r) for r in rows]

    @strawberry.field(description="Networks the city belongs to now.")
    async def networks(self, info: Info) -> list[Network]:
        rows = await info.context.load.memberships_of_city.load(self.row.id)
        found = await info.context.load.network.load_many([r.network_id for r in rows])
        return [Network.from_row(n) for n in found if n is not None]

    @strawberry.field(description="Every period in a role in any network, oldest first.")
    async def membership_history(self, info: Info) -> list[Membership]:
        rows = await info.context.load.membership_history.load((None, self.row.id))
        return [Membership.from_row(r) for r in rows]

    @strawberry.field(description="The city's delegates across workshops, in order of registration.")
    async def delegates(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Annotated[Registration, strawberry.lazy("citynet.graphql.workshop_types")]]:
        from citynet.graphql.workshop_types import Registration

        rows = await info.context.load.workshops.city_registrations.load(self.row.id)
        page = page_in_memory(rows, lambda r: (r.registered_at, r.id), first, after)
        return to_connection(page, Registration.from_row)


@strawberry.type(description="A city's membership of a network in one role over a period.")
class Membership:
    role: MemberRole  # type: ignore[valid-type]
    member_since: date = strawberry.field(
        description="Effective date: first day of the continuous membership (not when citynet recorded it).")
    role_since: date = strawberry.field(description="Effective date: first day in this role.")
    until: date | None = strawberry.field(
        description="Effective date this period ended (exclusive); null while it lasts."
    )
    city: City  # joined in the membership query: a plain field, no resolver call per member
    row: strawberry.Private[MembershipRow]

    @classmethod
    def from_row(cls, row: MembershipRow) -> Membership:
        return cls(role=DomainMemberRole(row.role), member_since=row.member_since, role_since=row.role_since,
                   until=row.valid_to, city=City.from_row(row.city), row=row)

    @strawberry.field
    async def network(self, info: Info) -> Network:
        return await network_by_id(info, self.row.network_id)


@strawberry.type(description="A working group of a network, e.g. UBC's Safe Cities Commission.")
class Commission(Node):
    id: strawberry.ID
    name: str
    row: strawberry.Private[CommissionRow]

    @classmethod
    def from_row(cls, row: CommissionRow) -> Commission:
        return cls(id=to_global_id("Commission", row.network_id, row.id), name=row.name, row=row)

    @strawberry.field
    async def network(self, info: Info) -> Network:
        return await network_by_id(info, self.row.network_id)

    @strawberry.field(description="The member city heading the commission, if one is named.")
    async def head(self, info: Info) -> City | None:
        if self.row.head_city_id is None:
            return None
        row = await info.context.load.city.load(self.row.head_city_id)
        return City.from_row(row) if row else None

    @strawberry.field(description="Member cities working in the commission.")
    async def members(self, info: Info) -> list[City]:
        ids = await info.context.load.commission_member_ids.load(self.row.id)
        rows = await info.context.load.city.load_many(ids)
        return [City.from_row(r) for r in rows if r is not None]


@strawberry.type(description="A network of cities: ICNCM, UBC, Efus ...")
class Network(Node):
    id: strawberry.ID
    name: str
    short_name: str
    founded_on: date
    description: str
    website: str
    row: strawberry.Private[NetworkRow]

    @classmethod
    def from_row(cls, row: NetworkRow) -> Network:
        return cls(id=to_global_id("Network", row.id), name=row.name, short_name=row.short_name,
                   founded_on=row.founded_on, description=row.description, website=row.website, row=row)

    @strawberry.field
    async def commissions(self, info: Info) -> list[Commission]:
        rows = await info.context.load.commissions_of_network.load(self.row.id)
        return [Commission.from_row(r) for r in rows]

    @strawberry.field(description="Current members, ordered by city name. With `knownAt` (record time): the "
                                  "members as citynet had recorded them at that moment.")
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None,
        known_at: Annotated[datetime | None, strawberry.argument(description=KNOWN_AT)] = None,
    ) -> Connection[Membership]:
        if known_at is None:
            rows = await info.context.load.members_of_network.load(self.row.id)
        else:
            rows = [r for r in await _known(info, self.row.id, known_at) if r.valid_to is None]
            rows.sort(key=lambda r: (r.city_name, r.city_id))
        page = page_in_memory(rows, lambda r: (r.city_name, r.city_id), first, after)
        return to_connection(page, Membership.from_row)

    @strawberry.field(description="Who was a member on the effective day `on`, and in which role (what citynet "
                                  "knows now, or, with `knownAt`, what it had recorded by then).")
    async def members_on(
        self, info: Info,
        on: Annotated[date, strawberry.argument(description=ON)],
        known_at: Annotated[datetime | None, strawberry.argument(description=KNOWN_AT)] = None,
    ) -> list[Membership]:
        if known_at is None:
            rows = await info.context.load.members_on.load((self.row.id, on))
        else:
            rows = [r for r in await _known(info, self.row.id, known_at)
                    if r.role_since <= on and (r.valid_to is None or on < r.valid_to)]
            rows.sort(key=lambda r: (r.city_name, r.city_id))
        return [Membership.from_row(r) for r in rows]

    @strawberry.field(description="Every membership period, oldest first (by effective date); optionally of one "
                                  "city; with `knownAt`, as citynet had recorded them at that moment.")
    async def membership_history(
        self, info: Info, city_id: strawberry.ID | None = None,
        known_at: Annotated[datetime | None, strawberry.argument(description=KNOWN_AT)] = None,
    ) -> list[Membership]:
        city = str(from_global_id(city_id, "City", "cityId")[0]) if city_id is not None else None
        if known_at is None:
            rows = await info.context.load.membership_history.load((self.row.id, city))
        else:
            rows = [r for r in await _known(info, self.row.id, known_at) if city is None or r.city_id == city]
        return [Membership.from_row(r) for r in rows]



async def _known(info: Info, network_id: str, known_at: datetime) -> list[MembershipRow]:
    """Membership periods of a network as recorded by ``known_at`` (read from the event log, in a thread)."""
    import anyio
    from uuid import UUID

    from citynet.services.membership_record import check_known_at, periods_known_at

    check_known_at(known_at)
    app = info.context.services.app
    periods = await anyio.to_thread.run_sync(lambda: periods_known_at(app, UUID(network_id), known_at))
    cities = {r.id: r for r in await info.context.load.city.load_many(sorted({p.city_id for p in periods})) if r}
    network = await info.context.load.network.load(network_id)
    return [MembershipRow(p.network_id, p.city_id, cities[p.city_id].name, network.name if network else "", p.role,
                          p.member_since, p.valid_from, p.valid_to, cities[p.city_id].country_code,
                          cities[p.city_id].time_zone)
            for p in periods if p.city_id in cities]


@strawberry.type(description="An organisation taking part in projects, plans and agreements: an association, agency, "
                             "research or industry group, expert group, public body, or a network whose "
                             "membership citynet does not record.")
class Organisation(Node):
    id: strawberry.ID
    name: str
    kind: OrganisationKind  # type: ignore[valid-type]
    country_code: str | None = strawberry.field(description="ISO 3166-1 alpha-2; null for an international body.")
    description: str
    row: strawberry.Private[OrganisationRow]

    @classmethod
    def from_row(cls, row: OrganisationRow) -> Organisation:
        return cls(id=to_global_id("Organisation", row.id), name=row.name, kind=DomainOrganisationKind(row.kind),
                   country_code=row.country_code, description=row.description, row=row)


Party = Annotated[City | Network | Commission | Organisation, strawberry.union(
    "Party", description="Who can be responsible for an action, support it, or sign an agreement: a city, a network, "
                         "a network's commission or an organisation.")]


async def party_by_id(info: Info, party_id: str) -> City | Network | Commission | Organisation | None:
    """A party by its own id (the read model keeps parties by id; the directory tells the kind)."""
    found = await info.context.load.party.load(party_id)
    if found is None:
        return None
    kind, row = found
    return {"city": City, "network": Network, "commission": Commission, "organisation": Organisation}[kind].from_row(row)


async def parties_by_id(info: Info, party_ids: list[str]) -> list[City | Network | Commission | Organisation]:
    """Parties in the order given (one batched load)."""
    classes = {"city": City, "network": Network, "commission": Commission, "organisation": Organisation}
    found = await info.context.load.party.load_many(party_ids)
    return [classes[f[0]].from_row(f[1]) for f in found if f is not None]
