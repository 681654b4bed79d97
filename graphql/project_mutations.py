"""Project mutations: found, partners and the lead partner over time, lifecycle, attaching outputs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import strawberry

from citynet.domain.errors import InvalidInput
from citynet.domain.project import OutputKind as DomainOutputKind
from citynet.domain.project import PartnerRole as DomainPartnerRole
from citynet.graphql.command_results import (
    MutationInput,
    MutationPayload,
    committed,
    dispatch,
    maybe,
    result_union,
)
from citynet.graphql.context import Info
from citynet.graphql.ids import decode_any, from_global_id, to_global_id
from citynet.graphql.project_types import Project, ProjectOutputKind, ProjectRole
from citynet.services.commands import projects as commands
from citynet.services.commands.base import Command
from citynet.services.commands.bus import Outcome

PARTY_KINDS = {"City": "city", "Network": "network", "Commission": "commission", "Organisation": "organisation"}
OUTPUT_TYPES = {"Workshop": DomainOutputKind.GATHERING, "ActionPlan": DomainOutputKind.ACTION_PLAN,
                "Protocol": DomainOutputKind.PROTOCOL}


def _project_id(value: str) -> UUID:
    return from_global_id(value, "Project", "projectId")[0]


def party_ref(value: str, field: str = "partnerId") -> tuple[str, UUID, UUID | None]:
    """(kind, id, commission's network) from a City, Network, Commission or Organisation global id."""
    decoded = decode_any(value)
    if decoded is not None and decoded[0] in PARTY_KINDS:
        kind, parts = decoded
        if kind == "Commission" and len(parts) == 2:
            return "commission", UUID(parts[1]), UUID(parts[0])
        if kind != "Commission" and len(parts) == 1:
            return PARTY_KINDS[kind], UUID(parts[0]), None
    raise InvalidInput(field, f"{value!r} is not a City, Network, Commission or Organisation id")


def output_ref(value: str) -> tuple[DomainOutputKind, UUID]:
    decoded = decode_any(value)
    if decoded is not None and decoded[0] in OUTPUT_TYPES and len(decoded[1]) == 1:
        return OUTPUT_TYPES[decoded[0]], UUID(decoded[1][0])
    raise InvalidInput("outputId", f"{value!r} is not a Workshop, ActionPlan or Protocol id")


@strawberry.input
class FoundProjectInput(MutationInput):
    name: str
    acronym: str = strawberry.field(description="Unique across projects, e.g. PACTESUR.")
    objectives: str = ""
    start_date: date
    end_date: date
    coordinating_network_id: strawberry.ID | None = strawberry.field(
        default=None, description="A network of yours that coordinates the project (admitted as COORDINATOR from "
                                  "the start); required for coordinators, optional for admins.")


@strawberry.input
class AdmitProjectPartnerInput(MutationInput):
    project_id: strawberry.ID
    partner_id: strawberry.ID = strawberry.field(description="A City, Network, Commission or Organisation id.")
    role: ProjectRole = DomainPartnerRole.PARTNER  # type: ignore[valid-type]
    since: date | None = strawberry.field(default=None, description="First day; default the project's start.")
    until: date | None = strawberry.field(default=None, description="Last day, if already known.")


@strawberry.input
class EndProjectPartnershipInput(MutationInput):
    project_id: strawberry.ID
    partner_id: strawberry.ID
    on: date = strawberry.field(description="Last day of the partnership (an effective date).")


@strawberry.input
class NameLeadPartnerInput(MutationInput):
    project_id: strawberry.ID
    partner_id: strawberry.ID = strawberry.field(description="A partner of the project on `on`.")
    on: date | None = strawberry.field(default=None, description="From this day; default the project's start.")


@strawberry.input
class ProjectStepInput(MutationInput):
    project_id: strawberry.ID


@strawberry.input
class CancelProjectInput(MutationInput):
    project_id: strawberry.ID
    reason: str


@strawberry.input
class AttachProjectOutputInput(MutationInput):
    project_id: strawberry.ID
    output_id: strawberry.ID = strawberry.field(description="A Workshop (any gathering), ActionPlan or Protocol id.")


@strawberry.type(description="`id` is the project's.")
class ProjectPayload(MutationPayload):
    project: Project | None


FoundProjectResult = result_union("FoundProjectResult", ProjectPayload, commands.FoundProject)
AdmitProjectPartnerResult = result_union("AdmitProjectPartnerResult", ProjectPayload, commands.AdmitProjectPartner)
EndProjectPartnershipResult = result_union("EndProjectPartnershipResult", ProjectPayload,
                                           commands.EndProjectPartnership)
NameLeadPartnerResult = result_union("NameLeadPartnerResult", ProjectPayload, commands.NameLeadPartner)
StartProjectResult = result_union("StartProjectResult", ProjectPayload, commands.StartProject)
CloseProjectResult = result_union("CloseProjectResult", ProjectPayload, commands.CloseProject)
CancelProjectResult = result_union("CancelProjectResult", ProjectPayload, commands.CancelProject)
AttachProjectOutputResult = result_union("AttachProjectOutputResult", ProjectPayload, commands.AttachProjectOutput)


async def _on_project(info: Info, input: Any, make: Callable[[], Command]) -> Any:
    async def answer(o: Outcome) -> ProjectPayload:
        row = await maybe(info.context.load.projects.project.load(str(o.id)))
        return ProjectPayload(**committed(o, input, to_global_id("Project", o.id)),
                              project=Project.from_row(row) if row is not None else None)

    return await dispatch(info, input, make, answer)


def _optional_network(value: strawberry.ID | None) -> UUID | None:
    return from_global_id(value, "Network", "coordinatingNetworkId")[0] if value is not None else None


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(description="Found a project: name, acronym, objectives, planned start and end.")
    async def found_project(self, info: Info, input: FoundProjectInput) -> FoundProjectResult:
        return await _on_project(info, input, lambda: commands.FoundProject(
            name=input.name, acronym=input.acronym, objectives=input.objectives, start_date=input.start_date,
            end_date=input.end_date, coordinating_network_id=_optional_network(input.coordinating_network_id)))

    @strawberry.mutation(description="Admit a city, network, a network's commission or an "
                                    "organisation as a partner in a role, over a period (within the project's "
                                    "dates, while it is planned or running).")
    async def admit_project_partner(self, info: Info, input: AdmitProjectPartnerInput) -> AdmitProjectPartnerResult:
        def make() -> Command:
            kind, party, network = party_ref(input.partner_id)
            return commands.AdmitProjectPartner(
                project_id=_project_id(input.project_id), party_kind=kind, party_id=party, party_network_id=network,
                role=input.role.value, since=input.since, until=input.until)

        return await _on_project(info, input, make)

    @strawberry.mutation(description="End a partnership: `on` is its last day.")
    async def end_project_partnership(self, info: Info,
                                      input: EndProjectPartnershipInput) -> EndProjectPartnershipResult:
        return await _on_project(info, input, lambda: commands.EndProjectPartnership(
            _project_id(input.project_id), party_ref(input.partner_id)[1], input.on))

    @strawberry.mutation(description="Name the lead partner from a day on; the previous lead stays a PARTNER.")
    async def name_lead_partner(self, info: Info, input: NameLeadPartnerInput) -> NameLeadPartnerResult:
        return await _on_project(info, input, lambda: commands.NameLeadPartner(
            _project_id(input.project_id), party_ref(input.partner_id)[1], input.on))

    @strawberry.mutation(description="Start a planned project (from its start date on).")
    async def start_project(self, info: Info, input: ProjectStepInput) -> StartProjectResult:
        return await _on_project(info, input, lambda: commands.StartProject(_project_id(input.project_id)))

    @strawberry.mutation(description="Close a running project.")
    async def close_project(self, info: Info, input: ProjectStepInput) -> CloseProjectResult:
        return await _on_project(info, input, lambda: commands.CloseProject(_project_id(input.project_id)))

    @strawberry.mutation(description="Cancel a planned or running project, with a reason.")
    async def cancel_project(self, info: Info, input: CancelProjectInput) -> CancelProjectResult:
        return await _on_project(info, input, lambda: commands.CancelProject(
            _project_id(input.project_id), input.reason))

    @strawberry.mutation(description="Attach a gathering, action plan or protocol to the project (one project each).")
    async def attach_project_output(self, info: Info, input: AttachProjectOutputInput) -> AttachProjectOutputResult:
        def make() -> Command:
            kind, output = output_ref(input.output_id)
            return commands.AttachProjectOutput(_project_id(input.project_id), kind.value, output)

        return await _on_project(info, input, make)


__all__ = ["ProjectMutations", "ProjectOutputKind"]
