"""Commands on projects. Mixed into the application; one method per command.

Access (decision 015): founding a project is for admins, or for a coordinator
who names one of their own networks as its coordinating network (admitted as
COORDINATOR in the same save, so the project is never out of everyone's
reach). Managing a project (partners, lead partner, lifecycle, attaching
outputs) is for admins and the coordinators of a network that takes part in
it, directly or through one of its commissions. Attaching an output also
needs the right to manage that output (its organising networks'
coordinators), so nobody moves another network's workshop into their project.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from citynet.domain.agreement import Agreement
from citynet.domain.city import City
from citynet.domain.errors import NotFound
from citynet.domain.network import Network
from citynet.domain.plan import ActionPlan
from citynet.domain.party import party_key
from citynet.domain.project import (
    OutputClaim,
    OutputKind,
    PartnerRole,
    Party,
    PartyKind,
    Project,
    output_claim_id,
)
from citynet.domain.protocol import Protocol
from citynet.domain.values import clean_enum
from citynet.domain.workshop import Workshop
from citynet.services import authz

if TYPE_CHECKING:
    from eventsourcing.domain import Aggregate

    from citynet.services.application import CitynetApplication, Recorded


def project_network_ids(project: Project) -> set[UUID]:
    """Networks taking part in a project: as partners, or through one of their commissions."""
    out: set[UUID] = set()
    for p in project.partnerships:
        if p.party.kind is PartyKind.NETWORK:
            out.add(p.party.id)
        elif p.party.kind is PartyKind.COMMISSION and p.party.network_id is not None:
            out.add(p.party.network_id)
    return out


class ProjectCommands:
    """``self`` is the CitynetApplication."""

    def found_project(
        self: CitynetApplication, *, name: str, acronym: str, objectives: str, start_date: date, end_date: date,
        coordinating_network_id: UUID | None = None,
    ) -> Recorded:
        from citynet.services.application import Recorded

        if coordinating_network_id is None:
            authz.require_admin("project:found")
        else:
            authz.require_manager("project:found", [coordinating_network_id])
            self.get(Network, coordinating_network_id, "coordinatingNetworkId")
        project = Project.found(name, acronym, objectives, start_date, end_date)
        if coordinating_network_id is not None:
            project.admit_partner(Party(PartyKind.NETWORK, coordinating_network_id), PartnerRole.COORDINATOR)
        return Recorded(project.id, self._save_new(
            project, lambda held: f"a project with the acronym {held.acronym!r} already exists").position)

    def resolve_party(self: CitynetApplication, kind: PartyKind | str, party_id: UUID,
                      network_id: UUID | None = None, field: str = "partnerId") -> Party:
        """The party a partner id names; NotFound when there is none (the same check as an agreement's)."""
        kind = clean_enum(PartyKind, field, kind)
        if kind is PartyKind.COMMISSION and network_id is None:
            raise NotFound("Commission", party_id, field)
        self.check_party(party_key(kind, party_id, network_id), field)
        return Party(kind, party_id, network_id if kind is PartyKind.COMMISSION else None)

    def _on_project(self: CitynetApplication, project_id: UUID, decide: Any,
                    permission: str = "project:manage") -> Recorded:
        from citynet.services.application import Recorded

        def guarded(project: Project) -> list[Aggregate]:
            authz.require_manager(permission, project_network_ids(project))
            return decide(project) or []

        return Recorded(project_id, self._change_together(Project, project_id, "projectId", guarded))

    def admit_project_partner(
        self: CitynetApplication, project_id: UUID, *, party_kind: str, party_id: UUID,
        party_network_id: UUID | None = None, role: str, since: date | None = None, until: date | None = None,
        partnership_id: UUID | None = None,
    ) -> Recorded:
        party = self.resolve_party(party_kind, party_id, party_network_id)
        return self._on_project(project_id, lambda p: p.admit_partner(party, role, since, until,
                                                                     partnership_id=partnership_id) and None)

    def end_project_partnership(self: CitynetApplication, project_id: UUID, party_id: UUID, on: date) -> Recorded:
        return self._on_project(project_id, lambda p: p.end_partnership(party_id, on))

    def name_lead_partner(self: CitynetApplication, project_id: UUID, party_id: UUID,
                          on: date | None = None) -> Recorded:
        return self._on_project(project_id, lambda p: p.name_lead_partner(party_id, on))

    def start_project(self: CitynetApplication, project_id: UUID) -> Recorded:
        # A project's days are those of its lead partner when it is a city; else UTC.
        return self._on_project(project_id, lambda p: p.start(today=self._project_today(p)))

    def close_project(self: CitynetApplication, project_id: UUID) -> Recorded:
        return self._on_project(project_id, lambda p: p.close())

    def cancel_project(self: CitynetApplication, project_id: UUID, reason: str) -> Recorded:
        return self._on_project(project_id, lambda p: p.cancel(reason))

    def attach_project_output(self: CitynetApplication, project_id: UUID, output_kind: str,
                              output_id: UUID) -> Recorded:
        # Readers are refused before anything is looked up: a hidden output is not found for writers only.
        authz.require_writer("project:attach-output")
        kind = clean_enum(OutputKind, "outputKind", output_kind)
        output = self._output(kind, output_id)
        authz.require_manager("project:attach-output", output.network_ids)
        claim_id = output_claim_id(output_id)
        claim = self.get(OutputClaim, claim_id) if self.exists(claim_id) else None
        return self._on_project(project_id, lambda p: [p.attach_output(kind, output_id, claim)])

    def _output(self: CitynetApplication, kind: OutputKind, output_id: UUID) -> Workshop | Agreement:
        if kind is OutputKind.GATHERING:
            return self.visible_workshop(output_id, "outputId")
        return self.get(ActionPlan if kind is OutputKind.ACTION_PLAN else Protocol, output_id, "outputId")

    def _project_today(self: CitynetApplication, project: Project) -> date:
        from citynet.services.clock import shared_today, today_in

        lead = next((p for p in project.partnerships if p.role is PartnerRole.LEAD_PARTNER
                     and p.party.kind is PartyKind.CITY), None)
        if lead is not None:
            return today_in(self.clock, self.get(City, lead.party.id).time_zone)
        return shared_today(self.clock)
