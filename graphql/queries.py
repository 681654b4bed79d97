"""Query root: networks, cities, bridges between networks, and any node by id."""

from __future__ import annotations

import enum
from datetime import date

import strawberry

from citynet.domain.errors import InvalidInput
from citynet.graphql.context import Info
from citynet.graphql.ids import decode_any, from_global_id, to_global_id
from citynet.graphql.types import (
    City,
    Commission,
    Connection,
    Network,
    Node,
    Organisation,
    OrganisationKind,
    Position,
    to_connection,
)
from citynet.graphql.workshop_types import GatheringKind, Person, Registration, Session, Workshop, WorkshopStatus
from citynet.services.readmodel.workshop_queries import WorkshopFilter as Criteria


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
    kinds: list[GatheringKind] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Gathering kinds (WORKSHOP, CONFERENCE, ...); all kinds when not given.")
    project_id: strawberry.ID | None = strawberry.field(default=None, description="Gatherings of this project.")
    timing: WorkshopTiming = strawberry.field(
        default=WorkshopTiming.ALL, description="Over or not by the host city's own calendar.")

    def to_criteria(self) -> Criteria:
        if self.starts_from and self.ends_by and self.ends_by < self.starts_from:
            raise InvalidInput("filter.endsBy", "is before filter.startsFrom")
        return Criteria(
            network_id=str(from_global_id(self.network_id, "Network", "filter.networkId")[0]) if self.network_id else None,
            host_city_id=str(from_global_id(self.host_city_id, "City", "filter.hostCityId")[0]) if self.host_city_id else None,
            topic=self.topic,
            starts_from=self.starts_from,
            ends_by=self.ends_by,
            statuses=tuple(s.value for s in self.statuses or ()),
            kinds=tuple(k.value for k in self.kinds or ()),
            project_id=str(from_global_id(self.project_id, "Project", "filter.projectId")[0]) if self.project_id else None,
            timing=self.timing.value,
        )


async def _node(info: Info, kind: str, parts: tuple[str, ...]) -> Node | None:
    """Every loader below is the caller's view (services/readmodel/visibility.py): what the caller
    may not see is simply not found."""
    from citynet.graphql.agreement_types import ActionPlan, Declaration, Protocol, plan_actions

    load = info.context.load
    if kind == "City" and len(parts) == 1:
        city = await load.city.load(parts[0])
        return City.from_row(city) if city else None
    if kind == "Network" and len(parts) == 1:
        network = await load.network.load(parts[0])
        return Network.from_row(network) if network else None
    if kind == "Organisation" and len(parts) == 1:
        organisation = await load.organisation.load(parts[0])
        return Organisation.from_row(organisation) if organisation else None
    if kind == "Commission" and len(parts) == 2:
        commission = await load.commission.load(parts[1])
        return Commission.from_row(commission) if commission and commission.network_id == parts[0] else None
    if kind in ("Workshop", "Registration", "Session") and 1 <= len(parts) <= 2:
        workshop = await load.workshops.workshop.load(parts[0])
        if workshop is None or len(parts) != (1 if kind == "Workshop" else 2):
            return None
        if kind == "Workshop":
            return Workshop.from_row(workshop)
        if kind == "Registration":
            reg = next((r for r in await load.workshops.registrations.load(parts[0]) if r.id == parts[1]), None)
            return Registration.from_row(reg) if reg else None
        session = next((r for r in await load.workshops.sessions.load(parts[0]) if r.id == parts[1]), None)
        return Session.from_row(session, workshop.time_zone) if session else None
    if kind == "Project" and len(parts) == 1:
        from citynet.graphql.project_types import Project

        project = await load.projects.project.load(parts[0])
        return Project.from_row(project) if project else None
    if kind == "Partnership" and len(parts) == 2:
        from citynet.graphql.project_types import Partnership

        rows = await load.projects.partnerships.load(parts[0])
        found = next((r for r in rows if r.partnership_id == parts[1]), None)
        return Partnership.from_row(found) if found else None
    if kind == "Person" and len(parts) == 1:
        rows = await load.workshops.person_registrations.load(parts[0])
        if not rows:
            return None
        named = next((r for r in rows if r.name is not None), None)
        return Person(id=to_global_id("Person", parts[0]), name=named.name if named else None,
                      email=named.email if named else None, rows=rows)
    if kind == "Declaration" and len(parts) == 1:
        document = await load.agreements.agreement.load(parts[0])
        return Declaration.from_row(document) if document is not None and document.kind == "decl" else None
    if kind in ("ActionPlan", "Protocol", "Action", "Milestone", "ProtocolStep") and len(parts) in (1, 2):
        document = await load.agreements.agreement.load(parts[0])
        wanted = "protocol" if kind in ("Protocol", "ProtocolStep") else "plan"
        if document is None or document.kind != wanted or len(parts) != (1 if kind in ("ActionPlan", "Protocol") else 2):
            return None
        if kind == "ActionPlan":
            return ActionPlan.from_row(document)
        if kind == "Protocol":
            return Protocol.from_row(document)
        if kind == "ProtocolStep":
            steps = await Protocol.from_row(document).steps(info)
            return next((st for st in steps if st.id == to_global_id(kind, *parts)), None)
        actions = await plan_actions(info, parts[0])
        if kind == "Action":
            return next((a for a in actions if a.action_key == parts[1]), None)
        wanted_id = to_global_id(kind, *parts)
        return next((m for a in actions for m in a.milestones if m.id == wanted_id), None)
    if len(parts) == 1:
        from citynet.graphql.audit import audit_record

        return await audit_record(info, kind, parts[0])
    return None


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if there is none you may see "
                                  "(also for a malformed id).")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = decode_any(id)
        if decoded is None:
            return None
        return await _node(info, *decoded)

    @strawberry.field(description="Networks, ordered by name.")
    async def networks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Network]:
        page = await info.context.reads.reads.networks_page(first, after)
        return to_connection(page, Network.from_row)

    @strawberry.field(description="One network by id; null if there is none.")
    async def network(self, info: Info, id: strawberry.ID) -> Network | None:
        (network_id,) = from_global_id(id, "Network", "id")
        row = await info.context.load.network.load(str(network_id))
        return Network.from_row(row) if row else None

    @strawberry.field(description="Cities, ordered by name; optionally of one country.")
    async def cities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        country_code: str | None = None,
    ) -> Connection[City]:
        page = await info.context.reads.reads.cities_page(first, after, country_code=country_code)
        return to_connection(page, City.from_row)

    @strawberry.field(description="One city by id; null if there is none.")
    async def city(self, info: Info, id: strawberry.ID) -> City | None:
        (city_id,) = from_global_id(id, "City", "id")
        row = await info.context.load.city.load(str(city_id))
        return City.from_row(row) if row else None

    @strawberry.field(description="Organisations (associations, agencies, expert groups ...), ordered by name; "
                                  "optionally of one kind or country.")
    async def organisations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: OrganisationKind | None = None,  # type: ignore[valid-type]
        country_code: str | None = None,
    ) -> Connection[Organisation]:
        page = await info.context.reads.reads.organisations_page(
            first, after, kind=kind.value if kind is not None else None, country_code=country_code)
        return to_connection(page, Organisation.from_row)

    @strawberry.field(description="One organisation by id; null if there is none.")
    async def organisation(self, info: Info, id: strawberry.ID) -> Organisation | None:
        (organisation_id,) = from_global_id(id, "Organisation", "id")
        row = await info.context.load.organisation.load(str(organisation_id))
        return Organisation.from_row(row) if row else None

    @strawberry.field(description="Cities that belong to at least `minNetworks` networks now (default 2).")
    async def bridge_cities(
        self, info: Info, first: int | None = None, after: str | None = None, min_networks: int = 2
    ) -> Connection[City]:
        page = await info.context.reads.reads.cities_page(first, after, min_networks=max(min_networks, 1))
        return to_connection(page, City.from_row)

    @strawberry.field(description="Workshops and other gatherings ordered by start date (undated last); filter by "
                                  "network, host, topic, dates, status, kind, project.")
    async def workshops(
        self, info: Info, first: int | None = None, after: str | None = None, filter: WorkshopFilter | None = None
    ) -> Connection[Workshop]:
        page = await info.context.reads.workshops_page(first, after, (filter or WorkshopFilter()).to_criteria())
        return to_connection(page, Workshop.from_row)

    @strawberry.field(description="One workshop by id; null if there is none you may see.")
    async def workshop(self, info: Info, id: strawberry.ID) -> Workshop | None:
        (workshop_id,) = from_global_id(id, "Workshop", "id")
        row = await info.context.load.workshops.workshop.load(str(workshop_id))
        return Workshop.from_row(row) if row else None

    @strawberry.field(description="How far the read models have got in the event log (every healthy one).")
    async def read_position(self, info: Info) -> Position:  # type: ignore[valid-type]
        return info.context.services.read_position()
