"""Query root: networks, cities, bridges between networks, and any node by id."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date

import strawberry
from graphql import GraphQLError

from citynet.domain.errors import InvalidInput
from citynet.graphql.context import Info
from citynet.graphql.ids import decode_any, from_global_id
from citynet.graphql.types import City, Commission, Connection, Network, Node, Position, to_connection
from citynet.graphql.workshop_types import Registration, Session, Workshop, WorkshopStatus
from citynet.services import authz
from citynet.services.readmodel.workshop_queries import WorkshopFilter as Criteria
from citynet.services.readmodel.workshop_queries import WorkshopRow


@strawberry.enum(description="Which workshops by time: those not yet over, those over, or all.")
class WorkshopTiming(enum.Enum):
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


@strawberry.input(description="Workshop filters; all given filters must match.")
class WorkshopFilter:
    network_id: strawberry.ID | None = None
    host_city_id: strawberry.ID | None = None
    topic: str | None = strawberry.field(default=None, description="Case-insensitive substring of the topic.")
    starts_from: date | None = None
    ends_by: date | None = None
    statuses: list[WorkshopStatus] | None = None  # type: ignore[valid-type]
    timing: WorkshopTiming = WorkshopTiming.ALL

    def to_criteria(self, today: date) -> Criteria:
        if self.starts_from and self.ends_by and self.ends_by < self.starts_from:
            raise InvalidInput("filter.endsBy", "is before filter.startsFrom")
        return Criteria(
            network_id=str(from_global_id(self.network_id, "Network", "filter.networkId")[0]) if self.network_id else None,
            host_city_id=str(from_global_id(self.host_city_id, "City", "filter.hostCityId")[0]) if self.host_city_id else None,
            topic=self.topic,
            starts_from=self.starts_from,
            ends_by=self.ends_by,
            statuses=tuple(s.value for s in self.statuses or ()),
            upcoming_on=today if self.timing is WorkshopTiming.UPCOMING else None,
            past_on=today if self.timing is WorkshopTiming.PAST else None,
        )


def _visible_workshop(info: Info, row: WorkshopRow) -> bool:
    return not authz.is_public(info.context.actor) or row.status in authz.PUBLISHED_WORKSHOP_STATUSES


def _not_found(kind: str, field: str, value: str) -> GraphQLError:
    return GraphQLError(f"{field}: {kind} {value!r} not found", extensions={"code": "NOT_FOUND", "field": field})


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if there is none.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = decode_any(id)
        if decoded is None:
            return None
        kind, parts = decoded
        load = info.context.load
        if kind == "City" and len(parts) == 1:
            row = await load.city.load(parts[0])
            return City.from_row(row) if row else None
        if kind == "Network" and len(parts) == 1:
            row = await load.network.load(parts[0])
            return Network.from_row(row) if row else None
        if kind == "Commission" and len(parts) == 2:
            row = await load.commission.load(parts[1])
            return Commission.from_row(row) if row and row.network_id == parts[0] else None
        if kind == "Workshop" and len(parts) == 1:
            workshop = await load.workshops.workshop.load(parts[0])
            return Workshop.from_row(workshop) if workshop and _visible_workshop(info, workshop) else None
        if kind == "Registration" and len(parts) == 2:
            regs = await load.workshops.registrations.load(parts[0])
            found = next((r for r in regs if r.id == parts[1]), None)
            return Registration.from_row(found) if found else None
        if kind in ("ActionPlan", "Protocol") and len(parts) == 1:
            from citynet.graphql.agreement_types import ActionPlan, Protocol

            document = await load.agreements.agreement.load(parts[0])
            if document is None or document.kind != ("plan" if kind == "ActionPlan" else "protocol"):
                return None
            if authz.is_public(info.context.actor) and document.adopted_version is None:
                return None
            return ActionPlan.from_row(document) if kind == "ActionPlan" else Protocol.from_row(document)
        if kind == "Session" and len(parts) == 2:
            workshop = await load.workshops.workshop.load(parts[0])
            sessions = await load.workshops.sessions.load(parts[0])
            session = next((r for r in sessions if r.id == parts[1]), None)
            return Session.from_row(session, workshop.time_zone) if session and workshop else None
        return None

    @strawberry.field(description="Networks, ordered by name.")
    async def networks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Network]:
        page = await info.context.services.reads.networks_page(first, after)
        return to_connection(page, Network.from_row)

    @strawberry.field(description="One network by id.")
    async def network(self, info: Info, id: strawberry.ID) -> Network | None:
        (network_id,) = from_global_id(id, "Network", "id")
        row = await info.context.load.network.load(str(network_id))
        if row is None:
            raise _not_found("Network", "id", id)
        return Network.from_row(row)

    @strawberry.field(description="Cities, ordered by name; optionally of one country.")
    async def cities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        country_code: str | None = None,
    ) -> Connection[City]:
        page = await info.context.services.reads.cities_page(first, after, country_code=country_code)
        return to_connection(page, City.from_row)

    @strawberry.field(description="One city by id.")
    async def city(self, info: Info, id: strawberry.ID) -> City | None:
        (city_id,) = from_global_id(id, "City", "id")
        row = await info.context.load.city.load(str(city_id))
        if row is None:
            raise _not_found("City", "id", id)
        return City.from_row(row)

    @strawberry.field(description="Cities that belong to at least `minNetworks` networks now (default 2).")
    async def bridge_cities(
        self, info: Info, first: int | None = None, after: str | None = None, min_networks: int = 2
    ) -> Connection[City]:
        page = await info.context.services.reads.cities_page(first, after, min_networks=max(min_networks, 1))
        return to_connection(page, City.from_row)

    @strawberry.field(description="Workshops ordered by start date (undated last); filter by network, host, topic, dates, status.")
    async def workshops(
        self, info: Info, first: int | None = None, after: str | None = None, filter: WorkshopFilter | None = None
    ) -> Connection[Workshop]:
        criteria = (filter or WorkshopFilter()).to_criteria(date.today())
        if authz.is_public(info.context.actor):  # anonymous readers see published workshops only
            wanted = criteria.statuses or authz.PUBLISHED_WORKSHOP_STATUSES
            criteria = dataclasses.replace(
                criteria, statuses=tuple(s for s in wanted if s in authz.PUBLISHED_WORKSHOP_STATUSES) or ("none",))
        page = await info.context.services.reads.workshops_page(first, after, criteria)
        return to_connection(page, Workshop.from_row)

    @strawberry.field(description="One workshop by id.")
    async def workshop(self, info: Info, id: strawberry.ID) -> Workshop | None:
        (workshop_id,) = from_global_id(id, "Workshop", "id")
        row = await info.context.load.workshops.workshop.load(str(workshop_id))
        if row is None or not _visible_workshop(info, row):
            raise _not_found("Workshop", "id", id)
        return Workshop.from_row(row)

    @strawberry.field(description="How far the read models have got in the event log (every healthy one).")
    async def read_position(self, info: Info) -> Position:  # type: ignore[valid-type]
        return info.context.services.read_position()
