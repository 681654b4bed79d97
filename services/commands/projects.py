"""Commands on projects: founding, partners and their roles over time, lifecycle, outputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from citynet.domain.errors import (
    AlreadyAttached,
    AlreadyExists,
    AlreadyPartner,
    InvalidProjectTransition,
    NotAProjectPartner,
    NotFound,
)
from citynet.domain.project import project_id_for
from citynet.services.commands.base import Command, handles, new_id
from citynet.services.errors import Conflict

if TYPE_CHECKING:
    from citynet.services.application import Recorded
    from citynet.services.runtime import Citynet


@dataclass(frozen=True)
class FoundProject(Command):
    raises = (NotFound, AlreadyExists)
    name: str
    acronym: str
    start_date: date
    end_date: date
    objectives: str = ""
    coordinating_network_id: UUID | None = None

    def result_id(self) -> UUID | None:
        return project_id_for(self.acronym)


@dataclass(frozen=True)
class AdmitProjectPartner(Command):
    raises = (NotFound, AlreadyPartner, InvalidProjectTransition, Conflict)
    project_id: UUID
    party_kind: str
    party_id: UUID
    role: str
    party_network_id: UUID | None = None  # a commission's network
    since: date | None = None
    until: date | None = None
    partnership_id: UUID = new_id()

    def result_id(self) -> UUID | None:
        return self.project_id


@dataclass(frozen=True)
class EndProjectPartnership(Command):
    raises = (NotFound, NotAProjectPartner, InvalidProjectTransition, Conflict)
    project_id: UUID
    party_id: UUID
    on: date


@dataclass(frozen=True)
class NameLeadPartner(Command):
    raises = (NotFound, NotAProjectPartner, InvalidProjectTransition, Conflict)
    project_id: UUID
    party_id: UUID
    on: date | None = None


@dataclass(frozen=True)
class StartProject(Command):
    raises = (NotFound, InvalidProjectTransition, Conflict)
    project_id: UUID


@dataclass(frozen=True)
class CloseProject(Command):
    raises = (NotFound, InvalidProjectTransition, Conflict)
    project_id: UUID


@dataclass(frozen=True)
class CancelProject(Command):
    raises = (NotFound, InvalidProjectTransition, Conflict)
    project_id: UUID
    reason: str


@dataclass(frozen=True)
class AttachProjectOutput(Command):
    raises = (NotFound, AlreadyAttached, InvalidProjectTransition, Conflict)
    project_id: UUID
    output_kind: str  # gathering, action_plan, protocol
    output_id: UUID


@handles(FoundProject)
def found_project(c: Citynet, cmd: FoundProject) -> Recorded:
    return c.execute(lambda app: app.found_project(
        name=cmd.name, acronym=cmd.acronym, objectives=cmd.objectives, start_date=cmd.start_date,
        end_date=cmd.end_date, coordinating_network_id=cmd.coordinating_network_id))


@handles(AdmitProjectPartner)
def admit_project_partner(c: Citynet, cmd: AdmitProjectPartner) -> Recorded:
    return c.execute(lambda app: app.admit_project_partner(
        cmd.project_id, party_kind=cmd.party_kind, party_id=cmd.party_id, party_network_id=cmd.party_network_id,
        role=cmd.role, since=cmd.since, until=cmd.until, partnership_id=cmd.partnership_id))


@handles(EndProjectPartnership)
def end_project_partnership(c: Citynet, cmd: EndProjectPartnership) -> Recorded:
    return c.execute(lambda app: app.end_project_partnership(cmd.project_id, cmd.party_id, cmd.on))


@handles(NameLeadPartner)
def name_lead_partner(c: Citynet, cmd: NameLeadPartner) -> Recorded:
    return c.execute(lambda app: app.name_lead_partner(cmd.project_id, cmd.party_id, cmd.on))


@handles(StartProject)
def start_project(c: Citynet, cmd: StartProject) -> Recorded:
    return c.execute(lambda app: app.start_project(cmd.project_id))


@handles(CloseProject)
def close_project(c: Citynet, cmd: CloseProject) -> Recorded:
    return c.execute(lambda app: app.close_project(cmd.project_id))


@handles(CancelProject)
def cancel_project(c: Citynet, cmd: CancelProject) -> Recorded:
    return c.execute(lambda app: app.cancel_project(cmd.project_id, cmd.reason))


@handles(AttachProjectOutput)
def attach_project_output(c: Citynet, cmd: AttachProjectOutput) -> Recorded:
    return c.execute(lambda app: app.attach_project_output(cmd.project_id, cmd.output_kind, cmd.output_id))
