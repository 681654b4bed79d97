"""GraphQL types for projects: partners over time, lead partner, gatherings, plans and protocols."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Union

import strawberry

from citynet.domain.project import OutputKind as DomainOutputKind
from citynet.domain.project import PartnerRole as DomainPartnerRole
from citynet.domain.project import PartyKind as DomainPartyKind
from citynet.domain.project import ProjectStatus as DomainProjectStatus
from citynet.domain.workshop_values import GatheringKind as DomainGatheringKind
from citynet.graphql.agreement_types import ActionPlan, Protocol
from citynet.graphql.context import Info
from citynet.domain.translation import TextKey
from citynet.graphql.ids import to_global_id
from citynet.graphql.translations import LANG, TranslatedText, all_texts, text_in
from citynet.graphql.types import City, Commission, Network, Node, Organisation, Party
from citynet.graphql.workshop_types import GatheringKind, Workshop
from citynet.services.readmodel.project_queries import PartnershipRow, ProjectRow, partnerships_on
from citynet.services.translations import project_sources

ProjectStatus = strawberry.enum(
    DomainProjectStatus, name="ProjectStatus",
    description="PLANNED (founded), RUNNING (started), CLOSED (finished) or CANCELLED.")
ProjectRole = strawberry.enum(DomainPartnerRole, name="ProjectRole", description="How a party takes part in a project.")
PartyKind = strawberry.enum(DomainPartyKind, name="PartyKind",
                            description="What kind of party: a city, a network, a network's commission or an "
                                        "organisation.")
ProjectOutputKind = strawberry.enum(DomainOutputKind, name="ProjectOutputKind",
                                    description="What can be attached to a project.")

# One party type for the whole API: a project's partners are the same kinds of party as an action's
# responsible and supporting parties and an agreement's signatories (graphql/types.py).
ProjectPartner = Party


async def party_of(info: Info, row: PartnershipRow) -> City | Network | Commission | Organisation | None:
    load = info.context.load
    if row.party_kind == "city":
        city = await load.city.load(row.party_id)
        return City.from_row(city) if city else None
    if row.party_kind == "network":
        network = await load.network.load(row.party_id)
        return Network.from_row(network) if network else None
    if row.party_kind == "commission":
        commission = await load.commission.load(row.party_id)
        return Commission.from_row(commission) if commission else None
    if row.party_kind == "organisation":
        organisation = await load.organisation.load(row.party_id)
        return Organisation.from_row(organisation) if organisation else None
    return None


def party_global_id(row: PartnershipRow) -> strawberry.ID:
    if row.party_kind == "commission":
        return to_global_id("Commission", row.party_network_id or "", row.party_id)
    return to_global_id({"city": "City", "network": "Network"}.get(row.party_kind, "Organisation"), row.party_id)


ROLE_ORDER = {r.value: i for i, r in enumerate(DomainPartnerRole)}


def _name(party: City | Network | Commission | Organisation | None) -> str:
    return "" if party is None else party.name


@strawberry.type(description="A party's partnership of a project in one role over a period. `since` and `until` "
                              "are effective dates, both days included; `until` is null while it lasts, and no "
                              "partnership runs after its project's endDate.")
class Partnership(Node):
    id: strawberry.ID
    role: ProjectRole  # type: ignore[valid-type]
    since: date
    until: date | None
    partner_id: strawberry.ID = strawberry.field(description="Global id of the partner (City, Network, Commission, Organisation).")
    partner_kind: PartyKind  # type: ignore[valid-type]
    row: strawberry.Private[PartnershipRow]

    @classmethod
    def from_row(cls, row: PartnershipRow) -> Partnership:
        return cls(id=to_global_id("Partnership", row.project_id, row.partnership_id),
                   role=DomainPartnerRole(row.role), since=row.since, until=row.until,
                   partner_id=party_global_id(row), partner_kind=DomainPartyKind(row.party_kind), row=row)

    @strawberry.field(description="The partner: a city, a network, a commission or an organisation.")
    async def partner(self, info: Info) -> Party | None:  # type: ignore[valid-type]
        return await party_of(info, self.row)

    @strawberry.field
    async def project(self, info: Info) -> Project:
        row = await info.context.load.projects.project.load(self.row.project_id)
        assert row is not None
        return Project.from_row(row)


@strawberry.type(description="A project cities run together (PACTESUR, Connecting Resilient Cities, ...): its "
                              "partners over time, its gatherings, action plans and protocols.")
class Project(Node):
    id: strawberry.ID
    acronym: str
    start_date: date = strawberry.field(description="Planned first day.")
    end_date: date = strawberry.field(description="Planned last day.")
    status: ProjectStatus  # type: ignore[valid-type]
    status_reason: str = strawberry.field(description="Reason given when the project was cancelled.")
    row: strawberry.Private[ProjectRow]

    @classmethod
    def from_row(cls, row: ProjectRow) -> Project:
        return cls(id=to_global_id("Project", row.id), acronym=row.acronym, start_date=row.start_date, end_date=row.end_date,
                   status=DomainProjectStatus(row.status), status_reason=row.status_reason, row=row)

    @strawberry.field
    async def name(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await text_in(info, self.row.id, TextKey("name"), self.row.name, lang)

    @strawberry.field
    async def objectives(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await text_in(info, self.row.id, TextKey("objectives"), self.row.objectives, lang)

    @strawberry.field(description="The project's name and objectives in the reader's language, saying which "
                                  "language each is actually in (decision 017).")
    async def texts(self, info: Info, lang: Annotated[str | None, LANG] = None,
                    easy_read: bool = False, include_stale: bool = False) -> list[TranslatedText]:
        return await all_texts(info, self.row.id, project_sources(self.row), lang, easy_read, include_stale)

    async def _partnerships(self, info: Info) -> list[PartnershipRow]:
        return await info.context.load.projects.partnerships.load(self.row.id)  # type: ignore[no-any-return]

    @strawberry.field(description="Partnerships by role (lead partner first), then partner name. `on`: only those running on that day (an effective "
                                  "date: who was a partner then, in which role; none outside the project's "
                                  "startDate..endDate); `role`: only that role.")
    async def partners(self, info: Info, on: date | None = None,
                       role: ProjectRole | None = None) -> list[Partnership]:  # type: ignore[valid-type]
        rows = await self._partnerships(info)
        if on is not None:
            rows = partnerships_on(self.row, rows, on)
        rows = [r for r in rows if role is None or r.role == role.value]
        names = {r.party_id: _name(p) for r, p in zip(rows, [await party_of(info, r) for r in rows])}
        rows.sort(key=lambda r: (ROLE_ORDER.get(r.role, 9), names.get(r.party_id, ""), r.since))
        return [Partnership.from_row(r) for r in rows]

    @strawberry.field(description="The lead partner on `on` (default: the latest lead partner named); null on a day "
                                  "outside the project's startDate..endDate.")
    async def lead_partner(self, info: Info, on: date | None = None) -> Party | None:  # type: ignore[valid-type]
        rows = await self._partnerships(info)
        if on is not None:
            rows = partnerships_on(self.row, rows, on)
        leads = [r for r in rows if r.role == "lead_partner"]
        if not leads:
            return None
        return await party_of(info, max(leads, key=lambda r: r.since))

    async def _outputs(self, info: Info, kind: str) -> list[str]:
        rows = await info.context.load.projects.outputs.load(self.row.id)
        return [r.output_id for r in rows if r.output_kind == kind]

    @strawberry.field(description="Gatherings (workshops, conferences, trainings, study trips, weeks of events) "
                                  "you may see, by start date; optionally of some kinds.")
    async def gatherings(self, info: Info,
                         kinds: list[GatheringKind] | None = None) -> list[Workshop]:  # type: ignore[valid-type]
        ids = await self._outputs(info, "gathering")
        rows = [r for r in await info.context.load.workshops.workshop.load_many(ids) if r is not None]
        wanted = {k.value for k in kinds} if kinds else None
        rows = [r for r in rows if wanted is None or r.kind in wanted]
        rows.sort(key=lambda r: (r.start_date or date.max, r.id))
        return [Workshop.from_row(r) for r in rows]

    @strawberry.field(description="Action plans you may see, by title.")
    async def action_plans(self, info: Info) -> list[ActionPlan]:
        rows = await info.context.load.agreements.agreement.load_many(await self._outputs(info, "action_plan"))
        return sorted((ActionPlan.from_row(r) for r in rows if r is not None), key=lambda p: (p.row.title, p.id))

    @strawberry.field(description="Joint protocols you may see, by title.")
    async def protocols(self, info: Info) -> list[Protocol]:
        rows = await info.context.load.agreements.agreement.load_many(await self._outputs(info, "protocol"))
        return sorted((Protocol.from_row(r) for r in rows if r is not None), key=lambda p: (p.row.title, p.id))


__all__ = ["DomainGatheringKind", "Partnership", "Party", "PartyKind", "Project", "ProjectOutputKind",
           "ProjectRole", "ProjectStatus"]
