"""Commands on action plans and crisis protocols."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from citynet.domain.errors import (
    AlreadyEndorsed,
    InvalidTransition,
    NotAPartner,
    NotFound,
    VersionFrozen,
    PlanNotAdopted,
    VersionSuperseded,
)
from citynet.services.commands.base import Command, handles, new_id
from citynet.services.errors import Conflict, InvalidVersionTransition

if TYPE_CHECKING:
    from citynet.services.application import Recorded
    from citynet.services.runtime import Citynet

# Editing a draft: the version may be frozen (proposed, adopted); a newer draft
# cannot exist while an older one is open, so VersionSuperseded is not reachable here.
EDIT = (NotFound, VersionFrozen, Conflict)


@dataclass(frozen=True)
class ActionFields:
    """Who is responsible: ``lead_city_id`` (a city) or ``responsible_parties`` (party keys of any kind, the
    first leads), or neither. Who supports: ``supporting_city_ids`` and ``supporting_parties`` together."""

    title: str
    lead_city_id: UUID | None
    due_on: date
    description: str = ""
    supporting_city_ids: tuple[UUID, ...] = ()
    weight: float = 1.0
    responsible_parties: tuple[str, ...] = ()
    supporting_parties: tuple[str, ...] = ()

    def as_kwargs(self) -> dict[str, Any]:
        return dict(title=self.title, description=self.description, lead_city_id=self.lead_city_id,
                    supporting_city_ids=list(self.supporting_city_ids), due_on=self.due_on, weight=self.weight,
                    responsible_parties=list(self.responsible_parties),
                    supporting_parties=list(self.supporting_parties))


@dataclass(frozen=True)
class StepFields:
    instruction: str
    responsible_role: str
    time_frame: str

    def as_kwargs(self) -> dict[str, Any]:
        return dict(instruction=self.instruction, responsible_role=self.responsible_role,
                    time_frame=self.time_frame)


@dataclass(frozen=True)
class DraftActionPlan(Command):
    raises = (NotFound,)
    title: str
    network_ids: tuple[UUID, ...]
    partner_city_ids: tuple[UUID, ...]
    starts_on: date
    purpose: str = ""
    workshop_ids: tuple[UUID, ...] = ()
    quorum: int | None = None
    partner_parties: tuple[str, ...] = ()  # partners other than cities, as party keys
    plan_id: UUID = new_id()

    def result_id(self) -> UUID | None:
        return self.plan_id


@dataclass(frozen=True)
class AddAction(Command):
    raises = (*EDIT, NotAPartner)
    plan_id: UUID
    version: int
    action: ActionFields
    parent_action_id: UUID | None = None
    action_id: UUID = new_id()

    def result_id(self) -> UUID | None:
        return self.action_id


@dataclass(frozen=True)
class UpdateAction(Command):
    raises = (*EDIT, NotAPartner)
    plan_id: UUID
    version: int
    action_id: UUID
    action: ActionFields


@dataclass(frozen=True)
class RemoveAction(Command):
    raises = EDIT
    plan_id: UUID
    version: int
    action_id: UUID


@dataclass(frozen=True)
class AddMilestone(Command):
    raises = EDIT
    plan_id: UUID
    version: int
    action_id: UUID
    title: str
    due_on: date


@dataclass(frozen=True)
class ReportProgress(Command):
    raises = (NotFound, PlanNotAdopted, Conflict)
    plan_id: UUID
    action_id: UUID
    progress: int
    note: str
    status: str | None = None


@dataclass(frozen=True)
class HandOverAction(Command):
    raises = (NotFound, NotAPartner, PlanNotAdopted, Conflict)
    plan_id: UUID
    action_id: UUID
    to_city_id: UUID
    reason: str


@dataclass(frozen=True)
class DraftProtocol(Command):
    raises = (NotFound,)
    title: str
    crisis_type: str
    network_ids: tuple[UUID, ...]
    partner_city_ids: tuple[UUID, ...]
    quorum: int | None = None
    partner_parties: tuple[str, ...] = ()
    protocol_id: UUID = new_id()

    def result_id(self) -> UUID | None:
        return self.protocol_id


@dataclass(frozen=True)
class AddProtocolStep(Command):
    raises = EDIT
    protocol_id: UUID
    version: int
    step: StepFields
    position: int | None = None
    step_id: UUID = new_id()

    def result_id(self) -> UUID | None:
        return self.step_id


@dataclass(frozen=True)
class UpdateProtocolStep(Command):
    raises = EDIT
    protocol_id: UUID
    version: int
    step_id: UUID
    step: StepFields


@dataclass(frozen=True)
class RemoveProtocolStep(Command):
    raises = EDIT
    protocol_id: UUID
    version: int
    step_id: UUID


@dataclass(frozen=True)
class ProposeVersion(Command):
    raises = EDIT
    document_id: UUID
    version: int


@dataclass(frozen=True)
class StartRevision(Command):
    raises = (NotFound, InvalidVersionTransition, Conflict)
    document_id: UUID


@dataclass(frozen=True)
class AnswerVersion(Command):
    """``party``: the answering partner, a city id or a party key (a declaration's signatory signs)."""

    raises = (NotFound, NotAPartner, VersionSuperseded, AlreadyEndorsed, Conflict)
    document_id: UUID
    version: int
    party: UUID | str
    decision: str
    signed_by: str
    signatory_role: str


@dataclass(frozen=True)
class DraftDeclaration(Command):
    raises = (NotFound,)
    title: str
    network_ids: tuple[UUID, ...]
    signatory_city_ids: tuple[UUID, ...]
    signatory_parties: tuple[str, ...] = ()
    text: str = ""
    adopted_in: str | None = None
    further_signatories: int = 0
    further_signatories_note: str = ""
    quorum: int | None = None
    declaration_id: UUID = new_id()

    def result_id(self) -> UUID | None:
        return self.declaration_id


@handles(DraftActionPlan)
def draft_action_plan(c: Citynet, cmd: DraftActionPlan) -> Recorded:
    return c.execute(lambda app: app.draft_plan(
        title=cmd.title, purpose=cmd.purpose, network_ids=list(cmd.network_ids),
        partner_city_ids=list(cmd.partner_city_ids), partner_parties=list(cmd.partner_parties),
        workshop_ids=list(cmd.workshop_ids), starts_on=cmd.starts_on, quorum=cmd.quorum, plan_id=cmd.plan_id))


@handles(AddAction)
def add_action(c: Citynet, cmd: AddAction) -> Recorded:
    return c.execute(lambda app: app.add_action(cmd.plan_id, cmd.version, parent_id=cmd.parent_action_id,
                                               action_id=cmd.action_id, **cmd.action.as_kwargs()))


@handles(UpdateAction)
def update_action(c: Citynet, cmd: UpdateAction) -> Recorded:
    return c.execute(lambda app: app.update_action(cmd.plan_id, cmd.version, cmd.action_id, **cmd.action.as_kwargs()))


@handles(RemoveAction)
def remove_action(c: Citynet, cmd: RemoveAction) -> Recorded:
    return c.execute(lambda app: app.remove_action(cmd.plan_id, cmd.version, cmd.action_id))


@handles(AddMilestone)
def add_milestone(c: Citynet, cmd: AddMilestone) -> Recorded:
    return c.execute(lambda app: app.add_milestone(cmd.plan_id, cmd.version, cmd.action_id, cmd.title, cmd.due_on))


@handles(ReportProgress)
def report_progress(c: Citynet, cmd: ReportProgress) -> Recorded:
    return c.execute(lambda app: app.report_progress(cmd.plan_id, cmd.action_id, cmd.progress, cmd.note, cmd.status))


@handles(HandOverAction)
def hand_over_action(c: Citynet, cmd: HandOverAction) -> Recorded:
    return c.execute(lambda app: app.hand_over_action(cmd.plan_id, cmd.action_id, cmd.to_city_id, cmd.reason))


@handles(DraftProtocol)
def draft_protocol(c: Citynet, cmd: DraftProtocol) -> Recorded:
    return c.execute(lambda app: app.draft_protocol(
        title=cmd.title, crisis_type=cmd.crisis_type, network_ids=list(cmd.network_ids),
        partner_city_ids=list(cmd.partner_city_ids), partner_parties=list(cmd.partner_parties), quorum=cmd.quorum,
        protocol_id=cmd.protocol_id))


@handles(AddProtocolStep)
def add_protocol_step(c: Citynet, cmd: AddProtocolStep) -> Recorded:
    return c.execute(lambda app: app.add_step(cmd.protocol_id, cmd.version, position=cmd.position,
                                             step_id=cmd.step_id, **cmd.step.as_kwargs()))


@handles(UpdateProtocolStep)
def update_protocol_step(c: Citynet, cmd: UpdateProtocolStep) -> Recorded:
    return c.execute(lambda app: app.update_step(cmd.protocol_id, cmd.version, cmd.step_id, **cmd.step.as_kwargs()))


@handles(RemoveProtocolStep)
def remove_protocol_step(c: Citynet, cmd: RemoveProtocolStep) -> Recorded:
    return c.execute(lambda app: app.remove_step(cmd.protocol_id, cmd.version, cmd.step_id))


@handles(ProposeVersion)
def propose_version(c: Citynet, cmd: ProposeVersion) -> Recorded:
    return c.execute(lambda app: app.propose_version(cmd.document_id, cmd.version))


@handles(StartRevision)
def start_revision(c: Citynet, cmd: StartRevision) -> Recorded:
    try:
        return c.execute(lambda app: app.start_revision(cmd.document_id))
    except InvalidTransition as error:
        # The domain says "a draft ... cannot be revised": a version status, not a workshop's.
        raise InvalidVersionTransition(error.status, error.action) from None


@handles(AnswerVersion)
def answer_version(c: Citynet, cmd: AnswerVersion) -> Recorded:
    return c.execute(lambda app: app.answer_version(cmd.document_id, cmd.version, cmd.party, cmd.decision,
                                                   cmd.signed_by, cmd.signatory_role))


@handles(DraftDeclaration)
def draft_declaration(c: Citynet, cmd: DraftDeclaration) -> Recorded:
    return c.execute(lambda app: app.draft_declaration(
        title=cmd.title, text=cmd.text, network_ids=list(cmd.network_ids),
        signatory_city_ids=list(cmd.signatory_city_ids), signatory_parties=list(cmd.signatory_parties),
        adopted_in=cmd.adopted_in, further_signatories=cmd.further_signatories,
        further_signatories_note=cmd.further_signatories_note, quorum=cmd.quorum,
        declaration_id=cmd.declaration_id))
