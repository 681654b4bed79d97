"""Mutations on action plans and crisis protocols.

Content edits name the ``version`` they edit: only the latest draft can be
changed; a proposed or adopted version answers ``VersionFrozen`` and a
revision (``startRevision``) makes the next draft. Progress reports and
hand-overs are not content: they apply to the plan as it is carried out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Union
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
    Protocol,
)
from citynet.graphql.context import Info
from citynet.graphql.errors import (
    NotAllowed,
    AlreadyEndorsed,
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotAPartner,
    NotFound,
    VersionFrozen,
    VersionSuperseded,
)
from citynet.graphql.ids import decode_any, from_global_id, to_global_id
from citynet.graphql.mutations import _run
from citynet.graphql.types import Position
from citynet.services.application import CitynetApplication, Recorded

Command = Callable[[CitynetApplication], Recorded]


def _uuid(value: str, field: str) -> UUID:
    """An Action, Milestone or ProtocolStep global id (or, as before, the bare UUID)."""
    decoded = decode_any(str(value))
    if decoded is not None and decoded[0] in ("Action", "Milestone", "ProtocolStep") and len(decoded[1]) == 2:
        return UUID(decoded[1][1])
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not an id") from None


def _ids(values: list[strawberry.ID], kind: str, field: str) -> list[UUID]:
    return [from_global_id(v, kind, field)[0] for v in values]


def _document_id(value: str) -> UUID:
    decoded = decode_any(value)
    if decoded is None or decoded[0] not in ("ActionPlan", "Protocol") or len(decoded[1]) != 1:
        raise InvalidInputError("documentId", f"{value!r} is not an ActionPlan or Protocol id")
    return UUID(decoded[1][0])


# -- inputs -------------------------------------------------------------------------------


@strawberry.input
class DraftActionPlanInput:
    title: str
    purpose: str = ""
    network_ids: list[strawberry.ID]
    partner_city_ids: list[strawberry.ID]
    workshop_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    starts_on: date
    quorum: int | None = strawberry.field(default=None, description="Endorsements needed; null = every partner.")


@strawberry.input
class ActionFieldsInput:
    title: str
    description: str = ""
    lead_city_id: strawberry.ID
    supporting_city_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    due_on: date
    weight: float = 1.0


@strawberry.input
class AddActionInput:
    plan_id: strawberry.ID
    version: int
    action: ActionFieldsInput
    parent_action_id: strawberry.ID | None = strawberry.field(default=None, description="Makes it a sub-action.")


@strawberry.input
class UpdateActionInput:
    plan_id: strawberry.ID
    version: int
    action_id: strawberry.ID
    action: ActionFieldsInput


@strawberry.input
class RemoveActionInput:
    plan_id: strawberry.ID
    version: int
    action_id: strawberry.ID


@strawberry.input
class AddMilestoneInput:
    plan_id: strawberry.ID
    version: int
    action_id: strawberry.ID
    title: str
    due_on: date


@strawberry.input
class ReportProgressInput:
    plan_id: strawberry.ID
    action_id: strawberry.ID
    progress: int = strawberry.field(description="0-100")
    note: str
    status: ActionStatus | None = strawberry.field(default=None, description="Defaults from the progress.")  # type: ignore[valid-type]


@strawberry.input
class HandOverActionInput:
    plan_id: strawberry.ID
    action_id: strawberry.ID
    to_city_id: strawberry.ID
    reason: str


@strawberry.input
class DraftProtocolInput:
    title: str
    crisis_type: CrisisType  # type: ignore[valid-type]
    network_ids: list[strawberry.ID]
    partner_city_ids: list[strawberry.ID]
    quorum: int | None = None


@strawberry.input
class StepFieldsInput:
    instruction: str
    responsible_role: str
    time_frame: str = strawberry.field(description='e.g. "within 30 minutes", "first 24 hours"')


@strawberry.input
class AddProtocolStepInput:
    protocol_id: strawberry.ID
    version: int
    step: StepFieldsInput
    position: int | None = strawberry.field(default=None, description="0-based; appended when null.")


@strawberry.input
class UpdateProtocolStepInput:
    protocol_id: strawberry.ID
    version: int
    step_id: strawberry.ID
    step: StepFieldsInput


@strawberry.input
class RemoveProtocolStepInput:
    protocol_id: strawberry.ID
    version: int
    step_id: strawberry.ID


@strawberry.input
class ProposeVersionInput:
    document_id: strawberry.ID = strawberry.field(description="An ActionPlan or Protocol id.")
    version: int


@strawberry.input
class StartRevisionInput:
    document_id: strawberry.ID


@strawberry.input
class AnswerVersionInput:
    document_id: strawberry.ID
    version: int
    city_id: strawberry.ID
    decision: Decision = DomainDecision.ENDORSE  # type: ignore[valid-type]
    signed_by: str = strawberry.field(description="Who signed for the city.")
    signatory_role: str = strawberry.field(description='e.g. "Mayor", "Head of Civil Protection"')


# -- payloads --------------------------------------------------------------------------------


@strawberry.type
class ActionPlanPayload:
    action_plan: ActionPlan
    position: Position  # type: ignore[valid-type]
    affected_id: strawberry.ID | None = strawberry.field(description="The Action or Milestone created, if any.")


@strawberry.type
class ProtocolPayload:
    protocol: Protocol
    position: Position  # type: ignore[valid-type]
    affected_id: strawberry.ID | None = strawberry.field(description="The ProtocolStep created, if any.")


@strawberry.type
class DocumentPayload:
    document: AgreementDocument
    position: Position  # type: ignore[valid-type]


ERRORS = (InvalidInput, NotFound, NotAPartner, VersionFrozen, VersionSuperseded, InvalidTransition, Conflict)
ActionPlanResult = Annotated[Union[ActionPlanPayload, NotAllowed, *ERRORS], strawberry.union("ActionPlanResult")]
ProtocolResult = Annotated[Union[ProtocolPayload, NotAllowed, *ERRORS], strawberry.union("ProtocolResult")]
DocumentResult = Annotated[Union[DocumentPayload, NotAllowed, AlreadyEndorsed, *ERRORS], strawberry.union("DocumentResult")]


async def _document(info: Info, document_id: UUID) -> Any:
    row = await info.context.load.agreements.agreement.load(str(document_id))
    assert row is not None
    return ActionPlan.from_row(row) if row.kind == "plan" else Protocol.from_row(row)


async def _created(info: Info, r: Recorded, document_id: UUID, kind: str) -> strawberry.ID | None:
    """The global id of the action, milestone or step the command created, if any."""
    if r.id == document_id:
        return None
    if kind == "Protocol":
        return to_global_id("ProtocolStep", document_id, r.id)
    versions = await info.context.load.agreements.versions.load(str(document_id))
    actions = versions[-1].content["actions"] if versions else {}
    return to_global_id("Action" if str(r.id) in actions else "Milestone", document_id, r.id)


ID_FIELD = {"ActionPlan": "planId", "Protocol": "protocolId"}


async def _on_agreement(info: Info, kind: str, raw_id: str | None, make: Callable[[UUID], Command]) -> Any:
    """Decode the plan or protocol id (none when drafting one), run the command, return the document."""
    document: list[UUID] = []

    def command() -> Command:
        if raw_id is not None:
            document.append(from_global_id(raw_id, kind, ID_FIELD[kind])[0])
        inner = make(document[0] if document else None)  # type: ignore[arg-type]

        def run(app: CitynetApplication) -> Recorded:
            recorded = inner(app)
            if not document:  # drafted: the new document's id
                document.append(recorded.id)
            return recorded

        return run

    async def payload(r: Recorded) -> Any:
        current, affected = await _document(info, document[0]), await _created(info, r, document[0], kind)
        if kind == "ActionPlan":
            return ActionPlanPayload(action_plan=current, position=r.position, affected_id=affected)
        return ProtocolPayload(protocol=current, position=r.position, affected_id=affected)

    return await _run(info, command, payload)


def _action_fields(a: ActionFieldsInput) -> dict[str, Any]:
    return dict(title=a.title, description=a.description,
                lead_city_id=from_global_id(a.lead_city_id, "City", "action.leadCityId")[0],
                supporting_city_ids=_ids(a.supporting_city_ids, "City", "action.supportingCityIds"),
                due_on=a.due_on, weight=a.weight)


def _step_fields(s: StepFieldsInput) -> dict[str, Any]:
    return dict(instruction=s.instruction, responsible_role=s.responsible_role, time_frame=s.time_frame)


@strawberry.type
class AgreementMutations:
    @strawberry.mutation(description="Draft a shared action plan owned by one or more networks.")
    async def draft_action_plan(self, info: Info, input: DraftActionPlanInput) -> ActionPlanResult:
        def make(_: UUID) -> Command:
            networks = _ids(input.network_ids, "Network", "networkIds")
            partners = _ids(input.partner_city_ids, "City", "partnerCityIds")
            workshops = _ids(input.workshop_ids, "Workshop", "workshopIds")
            return lambda app: app.draft_plan(
                title=input.title, purpose=input.purpose, network_ids=networks, partner_city_ids=partners,
                workshop_ids=workshops, starts_on=input.starts_on, quorum=input.quorum)

        return await _on_agreement(info, "ActionPlan", None, make)

    @strawberry.mutation(description="Add an action (or a sub-action) to the draft version.")
    async def add_action(self, info: Info, input: AddActionInput) -> ActionPlanResult:
        def make(plan: UUID) -> Command:
            fields = _action_fields(input.action)
            parent = _uuid(input.parent_action_id, "parentActionId") if input.parent_action_id else None
            return lambda app: app.add_action(plan, input.version, parent_id=parent, **fields)

        return await _on_agreement(info, "ActionPlan", input.plan_id, make)

    @strawberry.mutation(description="Change an action of the draft version.")
    async def update_action(self, info: Info, input: UpdateActionInput) -> ActionPlanResult:
        def make(plan: UUID) -> Command:
            action_id, fields = _uuid(input.action_id, "actionId"), _action_fields(input.action)
            return lambda app: app.update_action(plan, input.version, action_id, **fields)

        return await _on_agreement(info, "ActionPlan", input.plan_id, make)

    @strawberry.mutation(description="Remove an action (and its sub-actions) from the draft version.")
    async def remove_action(self, info: Info, input: RemoveActionInput) -> ActionPlanResult:
        def make(plan: UUID) -> Command:
            action_id = _uuid(input.action_id, "actionId")
            return lambda app: app.remove_action(plan, input.version, action_id)

        return await _on_agreement(info, "ActionPlan", input.plan_id, make)

    @strawberry.mutation(description="Add a dated milestone to an action of the draft version.")
    async def add_milestone(self, info: Info, input: AddMilestoneInput) -> ActionPlanResult:
        def make(plan: UUID) -> Command:
            action_id = _uuid(input.action_id, "actionId")
            return lambda app: app.add_milestone(plan, input.version, action_id, input.title, input.due_on)

        return await _on_agreement(info, "ActionPlan", input.plan_id, make)

    @strawberry.mutation(description="Report progress (0-100) on an action, with a note.")
    async def report_progress(self, info: Info, input: ReportProgressInput) -> ActionPlanResult:
        def make(plan: UUID) -> Command:
            action_id = _uuid(input.action_id, "actionId")
            status = input.status.value if input.status else None
            return lambda app: app.report_progress(plan, action_id, input.progress, input.note, status)

        return await _on_agreement(info, "ActionPlan", input.plan_id, make)

    @strawberry.mutation(description="Hand responsibility for an action to another partner city, with a reason.")
    async def hand_over_action(self, info: Info, input: HandOverActionInput) -> ActionPlanResult:
        def make(plan: UUID) -> Command:
            action_id = _uuid(input.action_id, "actionId")
            to_city = from_global_id(input.to_city_id, "City", "toCityId")[0]
            return lambda app: app.hand_over_action(plan, action_id, to_city, input.reason)

        return await _on_agreement(info, "ActionPlan", input.plan_id, make)

    @strawberry.mutation(description="Draft a joint crisis protocol for a type of crisis.")
    async def draft_protocol(self, info: Info, input: DraftProtocolInput) -> ProtocolResult:
        def make(_: UUID) -> Command:
            networks = _ids(input.network_ids, "Network", "networkIds")
            partners = _ids(input.partner_city_ids, "City", "partnerCityIds")
            return lambda app: app.draft_protocol(title=input.title, crisis_type=input.crisis_type.value,
                                                  network_ids=networks, partner_city_ids=partners, quorum=input.quorum)

        return await _on_agreement(info, "Protocol", None, make)

    @strawberry.mutation(description="Add a step to the draft version of a protocol.")
    async def add_protocol_step(self, info: Info, input: AddProtocolStepInput) -> ProtocolResult:
        return await _on_agreement(info, "Protocol", input.protocol_id, lambda protocol: lambda app: app.add_step(
            protocol, input.version, position=input.position, **_step_fields(input.step)))

    @strawberry.mutation(description="Change a step of the draft version.")
    async def update_protocol_step(self, info: Info, input: UpdateProtocolStepInput) -> ProtocolResult:
        def make(protocol: UUID) -> Command:
            step_id = _uuid(input.step_id, "stepId")
            return lambda app: app.update_step(protocol, input.version, step_id, **_step_fields(input.step))

        return await _on_agreement(info, "Protocol", input.protocol_id, make)

    @strawberry.mutation(description="Remove a step from the draft version.")
    async def remove_protocol_step(self, info: Info, input: RemoveProtocolStepInput) -> ProtocolResult:
        def make(protocol: UUID) -> Command:
            step_id = _uuid(input.step_id, "stepId")
            return lambda app: app.remove_step(protocol, input.version, step_id)

        return await _on_agreement(info, "Protocol", input.protocol_id, make)

    @strawberry.mutation(description="Propose the draft version for adoption; it can no longer be edited.")
    async def propose_version(self, info: Info, input: ProposeVersionInput) -> DocumentResult:
        return await _on_document(info, lambda doc: lambda app: app.propose_version(doc, input.version), input.document_id)

    @strawberry.mutation(description="Start the next version as a draft copy of the latest (after proposal or adoption).")
    async def start_revision(self, info: Info, input: StartRevisionInput) -> DocumentResult:
        return await _on_document(info, lambda doc: lambda app: app.start_revision(doc), input.document_id)

    @strawberry.mutation(description="A partner city endorses or declines one exact proposed version.")
    async def answer_version(self, info: Info, input: AnswerVersionInput) -> DocumentResult:
        def command(doc: UUID) -> Command:
            city = from_global_id(input.city_id, "City", "cityId")[0]
            return lambda app: app.answer_version(doc, input.version, city, input.decision.value, input.signed_by,
                                                  input.signatory_role)

        return await _on_document(info, command, input.document_id)


async def _on_document(info: Info, make: Callable[[UUID], Command], raw_id: str) -> Any:
    doc: list[UUID] = []

    def command() -> Command:
        doc.append(_document_id(raw_id))
        return make(doc[0])

    async def payload(r: Recorded) -> DocumentPayload:
        return DocumentPayload(document=await _document(info, doc[0]), position=r.position)

    return await _run(info, command, payload)
