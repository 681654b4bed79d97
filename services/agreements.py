"""Commands on action plans and crisis protocols. Mixed into the application.

Version steps (propose, revise, endorse or decline) are the same for both
kinds of document; content and tracking commands are kind-specific.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from citynet.domain.agreement import Agreement
from citynet.domain.city import City
from citynet.domain.declaration import Declaration
from citynet.domain.errors import NotFound
from citynet.domain.network import Network
from citynet.domain.organisation import Organisation
from citynet.domain.party import PartyKind, as_party, parse_party
from citynet.domain.plan import ActionPlan
from citynet.domain.protocol import Protocol
from citynet.services import authz
from citynet.services.workshops import require_members

if TYPE_CHECKING:
    from citynet.services.application import CitynetApplication, Recorded


class AgreementCommands:
    """``self`` is the CitynetApplication."""

    def _check_refs(self: CitynetApplication, network_ids: list[UUID], partner_city_ids: list[UUID],
                    partner_parties: list[str] | None = None, field: str = "partnerPartyIds") -> None:
        authz.require_manager("agreement:draft", network_ids)
        networks = [self.get(Network, network_id, "networkIds") for network_id in network_ids]
        for city_id in partner_city_ids:
            self.get(City, city_id, "partnerCityIds")
        for party in partner_parties or []:
            self.check_party(party, field)
        if networks:
            # Partner cities take part as members of an owning network (decision 010); networks,
            # commissions and organisations are partners in their own right.
            require_members(networks, [(c, "partnerCityIds") for c in partner_city_ids])

    def check_party(self: CitynetApplication, party: str, field: str) -> str:
        """The party exists as the kind it names: an unknown id is NotFound on ``field``."""
        key = as_party(party, field)
        kind, uuid, network_id = parse_party(key, field)
        if kind is PartyKind.CITY:
            self.get(City, uuid, field)
        elif kind is PartyKind.NETWORK:
            self.get(Network, uuid, field)
        elif kind is PartyKind.ORGANISATION:
            self.get(Organisation, uuid, field)
        else:
            assert network_id is not None
            network = self.get(Network, network_id, field)
            if uuid not in network.commissions:
                raise NotFound("Commission", uuid, field)
        return key

    def _new(self: CitynetApplication, aggregate: Agreement) -> Recorded:
        from citynet.services.application import Recorded

        return Recorded(aggregate.id, self._save_new(aggregate, "a document with this id already exists").position)

    def _on(
        self: CitynetApplication, cls: type, document_id: UUID, decide: Callable[[Any], Any],
        permission: Callable[[Any], None] | None = None,
    ) -> Recorded:
        """Run a decision on a plan or protocol; by default only its networks' coordinators (and admins) may."""
        from citynet.services.application import Recorded

        def guarded(document: Any) -> Any:
            if permission is None:
                authz.require_manager("agreement:manage", document.network_ids)
            else:
                permission(document)
            return decide(document)

        field = {ActionPlan: "planId", Protocol: "protocolId", Declaration: "declarationId"}.get(cls, "documentId")
        return Recorded(document_id, self._change(cls, document_id, field, guarded))

    # -- plans -------------------------------------------------------------------------------

    def draft_plan(
        self: CitynetApplication, *, title: str, purpose: str = "", network_ids: list[UUID],
        partner_city_ids: list[UUID], partner_parties: list[str] | None = None,
        workshop_ids: list[UUID] | None = None, starts_on: date, quorum: int | None = None,
        plan_id: UUID | None = None,
    ) -> Recorded:
        self._check_refs(network_ids, partner_city_ids, partner_parties)
        for workshop_id in workshop_ids or []:
            self.visible_workshop(workshop_id, "workshopIds")  # never someone else's secret proposal
        return self._new(ActionPlan.draft(
            title=title, purpose=purpose, network_ids=network_ids, partner_city_ids=partner_city_ids,
            partner_parties=partner_parties, workshop_ids=workshop_ids, starts_on=starts_on, quorum=quorum,
            plan_id=plan_id))

    def add_action(self: CitynetApplication, plan_id: UUID, version: int, **fields: Any) -> Recorded:
        from citynet.services.application import Recorded

        made: list[UUID] = []
        recorded = self._on(ActionPlan, plan_id, lambda p: made.append(p.add_action(version, **fields)))
        return Recorded(made[-1], recorded.position)

    def update_action(self: CitynetApplication, plan_id: UUID, version: int, action_id: UUID, **fields: Any) -> Recorded:
        return self._on(ActionPlan, plan_id, lambda p: p.update_action(version, action_id, **fields))

    def remove_action(self: CitynetApplication, plan_id: UUID, version: int, action_id: UUID) -> Recorded:
        return self._on(ActionPlan, plan_id, lambda p: p.remove_action(version, action_id))

    def add_milestone(
        self: CitynetApplication, plan_id: UUID, version: int, action_id: UUID, title: str, due_on: date
    ) -> Recorded:
        return self._on(ActionPlan, plan_id, lambda p: p.add_milestone(version, action_id, title, due_on))

    def report_progress(
        self: CitynetApplication, plan_id: UUID, action_id: UUID, progress: int, note: str, status: str | None = None
    ) -> Recorded:
        def may_report(plan: ActionPlan) -> None:
            # The city that leads the action now reports on it (and the plan's managers).
            lead = plan.lead_of(action_id) if plan.has_adopted_action(action_id) else None
            authz.require_manager_or_city("action:report", plan.network_ids, lead)

        return self._on(ActionPlan, plan_id, lambda p: p.report_progress(action_id, progress, note, status), may_report)

    def hand_over_action(
        self: CitynetApplication, plan_id: UUID, action_id: UUID, to_city_id: UUID, reason: str
    ) -> Recorded:
        return self._on(ActionPlan, plan_id, lambda p: p.hand_over(action_id, to_city_id, reason))

    # -- protocols ---------------------------------------------------------------------------

    def draft_protocol(
        self: CitynetApplication, *, title: str, crisis_type: str, network_ids: list[UUID],
        partner_city_ids: list[UUID], partner_parties: list[str] | None = None, quorum: int | None = None,
        protocol_id: UUID | None = None,
    ) -> Recorded:
        self._check_refs(network_ids, partner_city_ids, partner_parties)
        return self._new(Protocol.draft(title=title, crisis_type=crisis_type, network_ids=network_ids,
                                        partner_city_ids=partner_city_ids, partner_parties=partner_parties,
                                        quorum=quorum, protocol_id=protocol_id))

    # -- declarations ------------------------------------------------------------------------

    def draft_declaration(
        self: CitynetApplication, *, title: str, text: str = "", network_ids: list[UUID],
        signatory_city_ids: list[UUID], signatory_parties: list[str] | None = None, adopted_in: str | None = None,
        further_signatories: int = 0, further_signatories_note: str = "", quorum: int | None = None,
        declaration_id: UUID | None = None,
    ) -> Recorded:
        # Signatory cities need not belong to the owning networks: anyone may sign a declaration.
        authz.require_manager("agreement:draft", network_ids)
        for network_id in network_ids:
            self.get(Network, network_id, "networkIds")
        for city_id in signatory_city_ids:
            self.get(City, city_id, "signatoryPartyIds")
        for party in signatory_parties or []:
            self.check_party(party, "signatoryPartyIds")
        return self._new(Declaration.draft(
            title=title, text=text, network_ids=network_ids, partner_city_ids=signatory_city_ids,
            partner_parties=signatory_parties, adopted_in=adopted_in, further_signatories=further_signatories,
            further_signatories_note=further_signatories_note, quorum=quorum, declaration_id=declaration_id))

    def add_step(self: CitynetApplication, protocol_id: UUID, version: int, **fields: Any) -> Recorded:
        from citynet.services.application import Recorded

        made: list[UUID] = []
        recorded = self._on(Protocol, protocol_id, lambda p: made.append(p.add_step(version, **fields)))
        return Recorded(made[-1], recorded.position)

    def update_step(self: CitynetApplication, protocol_id: UUID, version: int, step_id: UUID, **fields: Any) -> Recorded:
        return self._on(Protocol, protocol_id, lambda p: p.update_step(version, step_id, **fields))

    def remove_step(self: CitynetApplication, protocol_id: UUID, version: int, step_id: UUID) -> Recorded:
        return self._on(Protocol, protocol_id, lambda p: p.remove_step(version, step_id))

    # -- versions (both kinds) ---------------------------------------------------------------

    def propose_version(self: CitynetApplication, document_id: UUID, version: int) -> Recorded:
        return self._on(Agreement, document_id, lambda d: d.propose_version(version))

    def start_revision(self: CitynetApplication, document_id: UUID) -> Recorded:
        return self._on(Agreement, document_id, lambda d: d.start_revision())

    def answer_version(
        self: CitynetApplication, document_id: UUID, version: int, party: UUID | str, decision: str, signed_by: str,
        signatory_role: str,
    ) -> Recorded:
        """A partner answers (a signatory signs). Who may speak for it: a city, its representatives;
        a network or one of its commissions, its coordinators; an organisation (which has no account
        of its own), the document's managers recording its signature. Admins for any."""
        field = "cityId" if isinstance(party, UUID) else "partyId"
        key = as_party(party, field)
        kind, uuid, network_id = parse_party(key, field)

        def may_answer(document: Any) -> None:
            if kind is PartyKind.CITY:
                authz.require_city("agreement:endorse", uuid)
            elif kind is PartyKind.NETWORK:
                authz.require_manager("agreement:endorse", [uuid])
            elif kind is PartyKind.COMMISSION:
                authz.require_manager("agreement:endorse", [network_id])  # type: ignore[list-item]
            else:
                authz.require_manager("agreement:endorse", document.network_ids)

        return self._on(Agreement, document_id,
                        lambda d: d.answer(version, party, decision, signed_by, signatory_role), may_answer)
