"""Mutations on action plans and crisis protocols.

Content edits name the ``version`` they edit: only the latest draft can be
changed; a proposed or adopted version answers ``VersionFrozen`` and a
revision (``startRevision``) makes the next draft. Progress reports and
hand-overs are not content: they apply to the plan as it is carried out.
Each mutation has its own result union: its payload or exactly the errors its
command declares.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import strawberry

from citynet.domain.agreement import Decision as DomainDecision
from citynet.domain.errors import InvalidInput as InvalidInputError
from citynet.graphql.agreement_types import (
    ActionPlan,
    ActionStatus,
    AgreementDocument,
    CrisisType,
    Decision,
    Declaration,
    Protocol,
)
from citynet.graphql.command_results import (
    OnDemand,
    MutationInput,
    MutationPayload,
    committed,
    dispatch,
    maybe,
    result_union,
)
from citynet.graphql.context import Info
from citynet.graphql.ids import decode_any, from_global_id, party_from_global_id, to_global_id
from citynet.services.commands import agreements as commands
from citynet.services.commands.base import Command
from citynet.services.commands.bus import Outcome


def _uuid(value: str, field: str) -> UUID:
    """An Action, Milestone or ProtocolStep global id (or, as before, the bare UUID)."""
    decoded = decode_any(str(value))
    if decoded is not None and decoded[0] in ("Action", "Milestone", "ProtocolStep") and len(decoded[1]) == 2:
        return UUID(decoded[1][1])
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not an id") from None


def _ids(values: list[strawberry.ID], kind: str, field: str) -> tuple[UUID, ...]:
    return tuple(from_global_id(v, kind, field)[0] for v in values)


def _parties(values: list[strawberry.ID] | None, field: str) -> tuple[str, ...]:
    return tuple(party_from_global_id(v, field) for v in values or [])


def _document(value: str) -> tuple[str, UUID]:
    decoded = decode_any(value)
    if decoded is None or decoded[0] not in ("ActionPlan", "Protocol", "Declaration") or len(decoded[1]) != 1:
        raise InvalidInputError("documentId", f"{value!r} is not an ActionPlan, Protocol or Declaration id")
    return decoded[0], UUID(decoded[1][0])


# -- inputs -------------------------------------------------------------------------------


@strawberry.input
class DraftActionPlanInput(MutationInput):
    title: str
    purpose: str = ""
    network_ids: list[strawberry.ID]
    partner_city_ids: list[strawberry.ID]
    workshop_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    starts_on: date
    quorum: int | None = strawberry.field(default=None, description="Endorsements needed; null = every partner.")
    partner_party_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Partners other than cities: Network, Commission or Organisation ids.")


@strawberry.input(description="Who is responsible: `leadCityId` (a city) or `responsiblePartyIds` (cities, networks, "
                               "commissions, organisations; the first leads), or neither (an activity no one has "
                               "taken on). Supporters: `supportingCityIds` and `supportingPartyIds` together. Every "
                               "party must be a partner of the plan (NotAPartner).")
class ActionFieldsInput:
    title: str
    description: str = ""
    lead_city_id: strawberry.ID | None = None
    supporting_city_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    due_on: date
    weight: float = 1.0
    responsible_party_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    supporting_party_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class AddActionInput(MutationInput):
    plan_id: strawberry.ID
    version: int
    action: ActionFieldsInput
    parent_action_id: strawberry.ID | None = strawberry.field(default=None, description="Makes it a sub-action.")


@strawberry.input
class UpdateActionInput(MutationInput):
    plan_id: strawberry.ID
    version: int
    action_id: strawberry.ID
    action: ActionFieldsInput


@strawberry.input
class RemoveActionInput(MutationInput):
    plan_id: strawberry.ID
    version: int
    action_id: strawberry.ID


@strawberry.input
class AddMilestoneInput(MutationInput):
    plan_id: strawberry.ID
    version: int
    action_id: strawberry.ID
    title: str
    due_on: date


@strawberry.input
class ReportProgressInput(MutationInput):
    plan_id: strawberry.ID
    action_id: strawberry.ID
    progress: int = strawberry.field(description="0-100")
    note: str
    status: ActionStatus | None = strawberry.field(default=None, description="Defaults from the progress.")  # type: ignore[valid-type]


@strawberry.input
class HandOverActionInput(MutationInput):
    plan_id: strawberry.ID
    action_id: strawberry.ID
    to_city_id: strawberry.ID
    reason: str


@strawberry.input
class DraftProtocolInput(MutationInput):
    title: str
    crisis_type: CrisisType  # type: ignore[valid-type]
    network_ids: list[strawberry.ID]
    partner_city_ids: list[strawberry.ID]
    quorum: int | None = None
    partner_party_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Signatories other than cities: Network, Commission or Organisation ids.")


@strawberry.input
class DraftDeclarationInput(MutationInput):
    title: str
    text: str = ""
    network_ids: list[strawberry.ID] = strawberry.field(description="The owning networks (their coordinators manage it).")
    signatory_ids: list[strawberry.ID] = strawberry.field(
        description="The named signatories: City, Network, Commission or Organisation ids. Each signs with answerVersion.")
    adopted_in: str | None = strawberry.field(default=None, description="Effective month of adoption, YYYY-MM.")
    further_signatories: int = strawberry.field(
        default=0, description="Signatories the sources count without naming (e.g. 60); never invent names for them.")
    further_signatories_note: str = strawberry.field(default="", description="e.g. 'mayors from 18 countries'.")
    quorum: int | None = None


@strawberry.input
class StepFieldsInput:
    instruction: str
    responsible_role: str
    time_frame: str = strawberry.field(description='e.g. "within 30 minutes", "first 24 hours"')


@strawberry.input
class AddProtocolStepInput(MutationInput):
    protocol_id: strawberry.ID
    version: int
    step: StepFieldsInput
    position: int | None = strawberry.field(default=None, description="0-based; appended when null.")


@strawberry.input
class UpdateProtocolStepInput(MutationInput):
    protocol_id: strawberry.ID
    version: int
    step_id: strawberry.ID
    step: StepFieldsInput


@strawberry.input
class RemoveProtocolStepInput(MutationInput):
    protocol_id: strawberry.ID
    version: int
    step_id: strawberry.ID


@strawberry.input
class ProposeVersionInput(MutationInput):
    document_id: strawberry.ID = strawberry.field(description="An ActionPlan, Protocol or Declaration id.")
    version: int


@strawberry.input
class StartRevisionInput(MutationInput):
    document_id: strawberry.ID


@strawberry.input
class AnswerVersionInput(MutationInput):
    document_id: strawberry.ID
    version: int
    city_id: strawberry.ID | None = strawberry.field(default=None, description="A partner city (or give partyId).")
    party_id: strawberry.ID | None = strawberry.field(
        default=None, description="Any partner: a City, Network, Commission or Organisation id (a declaration's "
                                  "signatory signs). Give exactly one of cityId and partyId.")
    decision: Decision = DomainDecision.ENDORSE  # type: ignore[valid-type]
    signed_by: str = strawberry.field(description="Who signed for the partner.")
    signatory_role: str = strawberry.field(description='e.g. "Mayor", "Head of Civil Protection"')


# -- payloads --------------------------------------------------------------------------------


@strawberry.type(description="`id` is the plan's; `affectedId` the action created, if any.")
class ActionPlanPayload(MutationPayload):
    action_plan: ActionPlan | None
    affected_id: strawberry.ID | None = strawberry.field(description="The Action or Milestone created, if any.")


@strawberry.type(description="`id` is the protocol's; `affectedId` the step created, if any.")
class ProtocolPayload(MutationPayload):
    protocol: Protocol | None
    affected_id: strawberry.ID | None = strawberry.field(description="The ProtocolStep created, if any.")


@strawberry.type(description="`id` is the plan's, protocol's or declaration's.")
class DocumentPayload(MutationPayload):
    document: AgreementDocument | None


DraftActionPlanResult = result_union("DraftActionPlanResult", ActionPlanPayload, commands.DraftActionPlan)
AddActionResult = result_union("AddActionResult", ActionPlanPayload, commands.AddAction)
UpdateActionResult = result_union("UpdateActionResult", ActionPlanPayload, commands.UpdateAction)
RemoveActionResult = result_union("RemoveActionResult", ActionPlanPayload, commands.RemoveAction)
AddMilestoneResult = result_union("AddMilestoneResult", ActionPlanPayload, commands.AddMilestone)
ReportProgressResult = result_union("ReportProgressResult", ActionPlanPayload, commands.ReportProgress)
HandOverActionResult = result_union("HandOverActionResult", ActionPlanPayload, commands.HandOverAction)
DraftProtocolResult = result_union("DraftProtocolResult", ProtocolPayload, commands.DraftProtocol)
AddProtocolStepResult = result_union("AddProtocolStepResult", ProtocolPayload, commands.AddProtocolStep)
UpdateProtocolStepResult = result_union("UpdateProtocolStepResult", ProtocolPayload, commands.UpdateProtocolStep)
RemoveProtocolStepResult = result_union("RemoveProtocolStepResult", ProtocolPayload, commands.RemoveProtocolStep)
ProposeVersionResult = result_union("ProposeVersionResult", DocumentPayload, commands.ProposeVersion)
StartRevisionResult = result_union("StartRevisionResult", DocumentPayload, commands.StartRevision)
AnswerVersionResult = result_union("AnswerVersionResult", DocumentPayload, commands.AnswerVersion)


@strawberry.type(description="`id` is the declaration's.")
class DeclarationPayload(MutationPayload):
    declaration: Declaration | None


DraftDeclarationResult = result_union("DraftDeclarationResult", DeclarationPayload, commands.DraftDeclaration)


def _load(info: Info, document_id: UUID) -> Any:
    async def read() -> Any:
        row = await maybe(info.context.load.agreements.agreement.load(str(document_id)))
        if row is None:
            return None
        if row.kind == "plan":
            return ActionPlan.from_row(row)
        return Protocol.from_row(row) if row.kind == "protocol" else Declaration.from_row(row)

    return OnDemand(read)


async def _created(info: Info, created: UUID, document_id: UUID, kind: str) -> strawberry.ID | None:
    """The global id of the action, milestone or step the command created, if any."""
    if created == document_id:
        return None
    if kind == "Protocol":
        return to_global_id("ProtocolStep", document_id, created)
    versions = await maybe(info.context.load.agreements.versions.load(str(document_id))) or []
    actions = versions[-1].content["actions"] if versions else {}
    return to_global_id("Action" if str(created) in actions else "Milestone", document_id, created)


async def _on_plan(info: Info, input: Any, make: Callable[[], Command], plan: Callable[[], UUID]) -> Any:
    """Run a plan command; the payload shows the plan (and the action it created, if any)."""

    async def answer(o: Outcome) -> ActionPlanPayload:
        plan_id = plan() if plan is not None else o.id
        affected = await _created(info, o.id, plan_id, "ActionPlan")
        return ActionPlanPayload(**committed(o, input, to_global_id("ActionPlan", plan_id)),
                                 action_plan=_load(info, plan_id), affected_id=affected)

    return await dispatch(info, input, make, answer)


async def _on_protocol(info: Info, input: Any, make: Callable[[], Command], protocol: Callable[[], UUID]) -> Any:
    async def answer(o: Outcome) -> ProtocolPayload:
        protocol_id = protocol() if protocol is not None else o.id
        affected = await _created(info, o.id, protocol_id, "Protocol")
        return ProtocolPayload(**committed(o, input, to_global_id("Protocol", protocol_id)),
                               protocol=_load(info, protocol_id), affected_id=affected)

    return await dispatch(info, input, make, answer)


async def _on_document(info: Info, input: Any, make: Callable[[UUID], Command]) -> Any:
    async def answer(o: Outcome) -> DocumentPayload:
        kind, document_id = _document(input.document_id)
        return DocumentPayload(**committed(o, input, to_global_id(kind, document_id)),
                               document=_load(info, document_id))

    return await dispatch(info, input, lambda: make(_document(input.document_id)[1]), answer)


def _action_fields(a: ActionFieldsInput) -> commands.ActionFields:
    if a.lead_city_id is not None and a.responsible_party_ids:
        raise InvalidInputError("action.responsiblePartyIds", "give either leadCityId or responsiblePartyIds")
    return commands.ActionFields(
        title=a.title, description=a.description,
        lead_city_id=from_global_id(a.lead_city_id, "City", "action.leadCityId")[0] if a.lead_city_id else None,
        supporting_city_ids=_ids(a.supporting_city_ids, "City", "action.supportingCityIds"),
        due_on=a.due_on, weight=a.weight,
        responsible_parties=_parties(a.responsible_party_ids, "action.responsiblePartyIds"),
        supporting_parties=_parties(a.supporting_party_ids, "action.supportingPartyIds"))


def _answering(input: AnswerVersionInput) -> UUID | str:
    if (input.city_id is None) == (input.party_id is None):
        raise InvalidInputError("partyId", "give exactly one of cityId and partyId")
    if input.city_id is not None:
        return from_global_id(input.city_id, "City", "cityId")[0]
    return party_from_global_id(input.party_id, "partyId")  # type: ignore[arg-type]


def _step_fields(s: StepFieldsInput) -> commands.StepFields:
    return commands.StepFields(instruction=s.instruction, responsible_role=s.responsible_role, time_frame=s.time_frame)


def _plan_id(input: Any) -> Callable[[], UUID]:
    return lambda: from_global_id(input.plan_id, "ActionPlan", "planId")[0]


def _protocol_id(input: Any) -> Callable[[], UUID]:
    return lambda: from_global_id(input.protocol_id, "Protocol", "protocolId")[0]


@strawberry.type
class AgreementMutations:
    @strawberry.mutation(description="Draft a shared action plan owned by one or more networks.")
    async def draft_action_plan(self, info: Info, input: DraftActionPlanInput) -> DraftActionPlanResult:
        return await _on_plan(info, input, lambda: commands.DraftActionPlan(
            title=input.title, purpose=input.purpose, network_ids=_ids(input.network_ids, "Network", "networkIds"),
            partner_city_ids=_ids(input.partner_city_ids, "City", "partnerCityIds"),
            workshop_ids=_ids(input.workshop_ids, "Workshop", "workshopIds"), starts_on=input.starts_on,
            quorum=input.quorum, partner_parties=_parties(input.partner_party_ids, "partnerPartyIds")),
            None)  # type: ignore[arg-type]

    @strawberry.mutation(description="Add an action (or a sub-action) to the draft version.")
    async def add_action(self, info: Info, input: AddActionInput) -> AddActionResult:
        plan = _plan_id(input)
        return await _on_plan(info, input, lambda: commands.AddAction(
            plan(), input.version, _action_fields(input.action),
            _uuid(input.parent_action_id, "parentActionId") if input.parent_action_id else None), plan)

    @strawberry.mutation(description="Change an action of the draft version.")
    async def update_action(self, info: Info, input: UpdateActionInput) -> UpdateActionResult:
        plan = _plan_id(input)
        return await _on_plan(info, input, lambda: commands.UpdateAction(
            plan(), input.version, _uuid(input.action_id, "actionId"), _action_fields(input.action)), plan)

    @strawberry.mutation(description="Remove an action (and its sub-actions) from the draft version.")
    async def remove_action(self, info: Info, input: RemoveActionInput) -> RemoveActionResult:
        plan = _plan_id(input)
        return await _on_plan(info, input, lambda: commands.RemoveAction(
            plan(), input.version, _uuid(input.action_id, "actionId")), plan)

    @strawberry.mutation(description="Add a dated milestone to an action of the draft version.")
    async def add_milestone(self, info: Info, input: AddMilestoneInput) -> AddMilestoneResult:
        plan = _plan_id(input)
        return await _on_plan(info, input, lambda: commands.AddMilestone(
            plan(), input.version, _uuid(input.action_id, "actionId"), input.title, input.due_on), plan)

    @strawberry.mutation(description="Report progress (0-100) on an action, with a note.")
    async def report_progress(self, info: Info, input: ReportProgressInput) -> ReportProgressResult:
        plan = _plan_id(input)
        return await _on_plan(info, input, lambda: commands.ReportProgress(
            plan(), _uuid(input.action_id, "actionId"), input.progress, input.note,
            input.status.value if input.status else None), plan)

    @strawberry.mutation(description="Hand responsibility for an action to another partner city, with a reason.")
    async def hand_over_action(self, info: Info, input: HandOverActionInput) -> HandOverActionResult:
        plan = _plan_id(input)
        return await _on_plan(info, input, lambda: commands.HandOverAction(
            plan(), _uuid(input.action_id, "actionId"), from_global_id(input.to_city_id, "City", "toCityId")[0],
            input.reason), plan)

    @strawberry.mutation(description="Draft a joint crisis protocol for a type of crisis.")
    async def draft_protocol(self, info: Info, input: DraftProtocolInput) -> DraftProtocolResult:
        return await _on_protocol(info, input, lambda: commands.DraftProtocol(
            title=input.title, crisis_type=input.crisis_type.value,
            network_ids=_ids(input.network_ids, "Network", "networkIds"),
            partner_city_ids=_ids(input.partner_city_ids, "City", "partnerCityIds"), quorum=input.quorum,
            partner_parties=_parties(input.partner_party_ids, "partnerPartyIds")),
            None)  # type: ignore[arg-type]

    @strawberry.mutation(description="Draft a declaration (an agreement whose endorsements are signatures): its text, "
                                     "named signatories of any kind, and the signatories counted but not named. "
                                     "Propose it with proposeVersion; each signatory signs with answerVersion.")
    async def draft_declaration(self, info: Info, input: DraftDeclarationInput) -> DraftDeclarationResult:
        def command() -> commands.DraftDeclaration:
            parties = _parties(input.signatory_ids, "signatoryIds")
            return commands.DraftDeclaration(
                title=input.title, text=input.text, network_ids=_ids(input.network_ids, "Network", "networkIds"),
                signatory_city_ids=tuple(UUID(p.split(":")[1]) for p in parties if p.startswith("city:")),
                signatory_parties=tuple(p for p in parties if not p.startswith("city:")),
                adopted_in=input.adopted_in, further_signatories=input.further_signatories,
                further_signatories_note=input.further_signatories_note, quorum=input.quorum)

        async def answer(o: Outcome) -> DeclarationPayload:
            row = await maybe(info.context.load.agreements.agreement.load(str(o.id)))
            return DeclarationPayload(**committed(o, input, to_global_id("Declaration", o.id)),
                                      declaration=Declaration.from_row(row) if row is not None else None)

        return await dispatch(info, input, command, answer)

    @strawberry.mutation(description="Add a step to the draft version of a protocol.")
    async def add_protocol_step(self, info: Info, input: AddProtocolStepInput) -> AddProtocolStepResult:
        protocol = _protocol_id(input)
        return await _on_protocol(info, input, lambda: commands.AddProtocolStep(
            protocol(), input.version, _step_fields(input.step), input.position), protocol)

    @strawberry.mutation(description="Change a step of the draft version.")
    async def update_protocol_step(self, info: Info, input: UpdateProtocolStepInput) -> UpdateProtocolStepResult:
        protocol = _protocol_id(input)
        return await _on_protocol(info, input, lambda: commands.UpdateProtocolStep(
            protocol(), input.version, _uuid(input.step_id, "stepId"), _step_fields(input.step)), protocol)

    @strawberry.mutation(description="Remove a step from the draft version.")
    async def remove_protocol_step(self, info: Info, input: RemoveProtocolStepInput) -> RemoveProtocolStepResult:
        protocol = _protocol_id(input)
        return await _on_protocol(info, input, lambda: commands.RemoveProtocolStep(
            protocol(), input.version, _uuid(input.step_id, "stepId")), protocol)

    @strawberry.mutation(description="Propose the draft version for adoption; it can no longer be edited.")
    async def propose_version(self, info: Info, input: ProposeVersionInput) -> ProposeVersionResult:
        return await _on_document(info, input, lambda doc: commands.ProposeVersion(doc, input.version))

    @strawberry.mutation(description="Start the next version as a draft copy of the latest (after proposal or adoption).")
    async def start_revision(self, info: Info, input: StartRevisionInput) -> StartRevisionResult:
        return await _on_document(info, input, lambda doc: commands.StartRevision(doc))

    @strawberry.mutation(description="A partner endorses or declines one exact proposed version (a declaration's "
                                     "signatory signs). A city answers through its representatives; a network or "
                                     "commission through its coordinators; an organisation through the document's "
                                     "coordinators, who record its signature.")
    async def answer_version(self, info: Info, input: AnswerVersionInput) -> AnswerVersionResult:
        return await _on_document(info, input, lambda doc: commands.AnswerVersion(
            doc, input.version, _answering(input), input.decision.value, input.signed_by, input.signatory_role))
