"""GraphQL types for shared action plans and joint crisis protocols."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from citynet.domain.agreement import Decision as DomainDecision
from citynet.domain.agreement import VersionStatus as DomainVersionStatus
from citynet.domain.plan import ActionStatus as DomainActionStatus
from citynet.domain.protocol import CrisisType as DomainCrisisType
from citynet.graphql.context import Info
from citynet.services import authz
from citynet.graphql.ids import to_global_id
from citynet.graphql.types import City, Network, Node, city_by_id
from citynet.graphql.workshop_types import Workshop
from citynet.services.clock import shared_today
from citynet.services.plan_reports import diff_versions
from citynet.services.readmodel.agreement_queries import AgreementRow, EndorsementRow, VersionRow, rollup

ActionStatus = strawberry.enum(DomainActionStatus, name="ActionStatus")
VersionStatus = strawberry.enum(DomainVersionStatus, name="VersionStatus")
Decision = strawberry.enum(DomainDecision, name="EndorsementDecision")
CrisisType = strawberry.enum(DomainCrisisType, name="CrisisType")


@strawberry.type(description="A partner city's answer to one exact version, and who signed for the city.")
class Endorsement:
    decision: Decision  # type: ignore[valid-type]
    signed_by: str
    signatory_role: str
    answered_at: datetime
    city_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: EndorsementRow) -> Endorsement:
        return cls(decision=DomainDecision(row.decision), signed_by=row.signed_by, signatory_role=row.signatory_role,
                   answered_at=datetime.fromisoformat(row.answered_at), city_id=row.city_id)

    @strawberry.field
    async def city(self, info: Info) -> City:
        return await city_by_id(info, self.city_id)


@strawberry.type
class Milestone:
    id: strawberry.ID
    title: str
    due_on: date


@strawberry.type(description="An action as a version of the plan states it.")
class PlannedAction:
    id: strawberry.ID
    title: str
    description: str
    due_on: date
    weight: float
    parent_id: strawberry.ID | None
    milestones: list[Milestone]
    lead_city_id: strawberry.Private[str]
    supporting_ids: strawberry.Private[list[str]]

    @classmethod
    def from_content(cls, action_id: str, a: dict[str, Any]) -> PlannedAction:
        return cls(
            id=strawberry.ID(action_id), title=a["title"], description=a["description"],
            due_on=date.fromisoformat(a["due_on"]), weight=a["weight"],
            parent_id=strawberry.ID(a["parent_id"]) if a.get("parent_id") else None,
            milestones=[Milestone(id=strawberry.ID(m), title=v["title"], due_on=date.fromisoformat(v["due_on"]))
                        for m, v in sorted(a["milestones"].items(), key=lambda kv: kv[1]["due_on"])],
            lead_city_id=a["lead_city_id"], supporting_ids=list(a["supporting_city_ids"]),
        )

    @strawberry.field(description="The responsible city the plan names.")
    async def lead_city(self, info: Info) -> City:
        return await city_by_id(info, self.lead_city_id)

    @strawberry.field
    async def supporting_cities(self, info: Info) -> list[City]:
        return [await city_by_id(info, c) for c in self.supporting_ids]


@strawberry.type(description="A progress report or a hand-over of responsibility.")
class ActionUpdate:
    kind: str
    progress: int | None
    status: ActionStatus | None  # type: ignore[valid-type]
    note: str
    at: datetime
    to_city_id: strawberry.Private[str | None]

    @strawberry.field(description="For a hand-over: the city that now leads.")
    async def to_city(self, info: Info) -> City | None:
        return await city_by_id(info, self.to_city_id) if self.to_city_id else None


@strawberry.type(description="An action of the current version, with how it is being carried out.")
class Action(PlannedAction):
    status: ActionStatus  # type: ignore[valid-type]
    progress: int = strawberry.field(description="Last reported progress, 0-100.")
    rolled_up_progress: float = strawberry.field(description="By weight over sub-actions, dropped ones excluded.")
    overdue: bool
    current_lead_id: strawberry.Private[str]
    plan_id: strawberry.Private[str]

    @strawberry.field(description="The city responsible now (after any hand-over).")
    async def responsible_city(self, info: Info) -> City:
        return await city_by_id(info, self.current_lead_id)

    @strawberry.field
    async def updates(self, info: Info) -> list[ActionUpdate]:
        rows = await info.context.load.agreements.log.load(self.plan_id)
        return [ActionUpdate(kind=r.kind, progress=r.progress,
                             status=DomainActionStatus(r.status) if r.status else None, note=r.note,
                             at=datetime.fromisoformat(r.at), to_city_id=r.to_city_id)
                for r in rows if r.action_id == self.id]


@strawberry.type
class ProtocolStep:
    id: strawberry.ID
    position: int
    instruction: str
    responsible_role: str
    time_frame: str


@strawberry.type(description="One version of a plan or protocol as it was, with its endorsements.")
class AgreementVersion:
    number: int
    status: VersionStatus  # type: ignore[valid-type]
    title: str
    purpose: str
    status_changed_at: datetime
    actions: list[PlannedAction]
    steps: list[ProtocolStep]
    required_endorsements: int
    agreement_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: VersionRow, required: int) -> AgreementVersion:
        c = row.content
        return cls(
            number=row.version, status=DomainVersionStatus(row.status), title=c["title"],
            purpose=c.get("purpose", ""), status_changed_at=datetime.fromisoformat(row.status_changed_at),
            actions=[PlannedAction.from_content(a, v) for a, v in sorted(
                c.get("actions", {}).items(), key=lambda kv: (kv[1]["due_on"], kv[1]["title"]))],
            steps=[ProtocolStep(id=strawberry.ID(s["id"]), position=i, instruction=s["instruction"],
                                responsible_role=s["responsible_role"], time_frame=s["time_frame"])
                   for i, s in enumerate(c.get("steps", []))],
            required_endorsements=required, agreement_id=row.agreement_id,
        )

    async def _mine(self, info: Info) -> list[EndorsementRow]:
        rows = await info.context.load.agreements.endorsements.load(self.agreement_id)
        return [r for r in rows if r.version == self.number]

    @strawberry.field(description="Answers to this exact version; they say nothing about other versions.")
    async def endorsements(self, info: Info) -> list[Endorsement]:
        return [Endorsement.from_row(r) for r in await self._mine(info)]

    @strawberry.field
    async def endorsed_count(self, info: Info) -> int:
        return sum(1 for r in await self._mine(info) if r.decision == "endorse")

    @strawberry.field
    async def declined_count(self, info: Info) -> int:
        return sum(1 for r in await self._mine(info) if r.decision == "decline")


@strawberry.type
class VersionChange:
    id: strawberry.ID
    title: str
    fields: list[str]


@strawberry.type(description="What changed between two versions.")
class VersionDiff:
    from_version: int
    to_version: int
    title_changed: bool
    added: list[VersionChange]
    removed: list[VersionChange]
    changed: list[VersionChange]


def _changes(items: list[Any]) -> list[VersionChange]:
    return [VersionChange(id=strawberry.ID(c.id), title=c.title, fields=c.fields) for c in items]


@strawberry.interface(description="A document partner cities agree on, version by version.")
class AgreementDocument(Node):
    id: strawberry.ID
    title: str
    status: VersionStatus = strawberry.field(description="Status of the current (latest) version.")  # type: ignore[valid-type]
    current_version: int
    adopted_version: int | None = strawberry.field(description="The latest adopted version, if any.")
    quorum: int | None = strawberry.field(description="Endorsements needed; null means every partner city.")
    row: strawberry.Private[AgreementRow]

    async def _versions(self, info: Info) -> list[VersionRow]:
        """All versions; anonymous readers see adopted versions only (drafts are the partners' business)."""
        rows: list[VersionRow] = await info.context.load.agreements.versions.load(self.row.id)
        if authz.is_public(info.context.actor):
            return [v for v in rows if v.status == "adopted"]
        return rows

    async def _required(self, info: Info) -> int:
        partners = await info.context.load.agreements.partner_ids.load(self.row.id)
        return self.row.quorum if self.row.quorum is not None else len(partners)

    @strawberry.field
    async def organisers(self, info: Info) -> list[Network]:
        ids = await info.context.load.agreements.network_ids.load(self.row.id)
        rows = await info.context.load.network.load_many(ids)
        return sorted((Network.from_row(r) for r in rows if r), key=lambda n: n.name)

    @strawberry.field
    async def partners(self, info: Info) -> list[City]:
        ids = await info.context.load.agreements.partner_ids.load(self.row.id)
        rows = await info.context.load.city.load_many(ids)
        return sorted((City.from_row(r) for r in rows if r), key=lambda c: c.name)

    @strawberry.field
    async def versions(self, info: Info) -> list[AgreementVersion]:
        required = await self._required(info)
        return [AgreementVersion.from_row(v, required) for v in await self._versions(info)]

    @strawberry.field(description="The document as it was at a version.")
    async def version(self, info: Info, number: int) -> AgreementVersion | None:
        required = await self._required(info)
        return next((AgreementVersion.from_row(v, required) for v in await self._versions(info) if v.version == number), None)

    @strawberry.field(description="Actions or steps added, removed and changed between two versions.")
    async def diff(self, info: Info, from_version: int, to_version: int) -> VersionDiff | None:
        by_number = {v.version: v for v in await self._versions(info)}
        if from_version not in by_number or to_version not in by_number:
            return None
        d = diff_versions(self.row.kind, by_number[from_version], by_number[to_version])
        return VersionDiff(from_version=from_version, to_version=to_version, title_changed=d.title_changed,
                           added=_changes(d.added), removed=_changes(d.removed), changed=_changes(d.changed))


def _document_fields(row: AgreementRow, kind: str) -> dict[str, Any]:
    return dict(id=to_global_id(kind, row.id), title=row.title, status=DomainVersionStatus(row.latest_status),
                current_version=row.latest_version, adopted_version=row.adopted_version, quorum=row.quorum, row=row)


@strawberry.type(description="A shared action plan: who does what by when, agreed per version, then carried out.")
class ActionPlan(AgreementDocument):
    starts_on: date | None

    @classmethod
    def from_row(cls, row: AgreementRow) -> ActionPlan:
        return cls(starts_on=row.starts_on, **_document_fields(row, "ActionPlan"))

    @strawberry.field
    async def purpose(self, info: Info) -> str:
        return str((await self._versions(info))[-1].content.get("purpose", ""))

    @strawberry.field(description="Workshops whose outcomes the plan draws on.")
    async def workshops(self, info: Info) -> list[Workshop]:
        ids = await info.context.load.agreements.workshop_ids.load(self.row.id)
        rows = await info.context.load.workshops.workshop.load_many(ids)
        return [Workshop.from_row(r) for r in rows if r]

    @strawberry.field(description="Actions of the current version with their tracking, earliest due first.")
    async def actions(self, info: Info) -> list[Action]:
        return [a for a in await plan_actions(info, self.row.id)]

    @strawberry.field(description="Rolled-up progress of the whole plan, 0-100.")
    async def progress(self, info: Info) -> float:
        content = (await self._versions(info))[-1].content
        return rollup(content, await info.context.load.agreements.tracking.load(self.row.id))[1]


async def plan_actions(info: Info, plan_id: str, today: date | None = None) -> list[Action]:
    today = today or shared_today(info.context.services.clock)
    versions = await info.context.load.agreements.versions.load(plan_id)
    if authz.is_public(info.context.actor):
        versions = [v for v in versions if v.status == "adopted"] or versions[:0]
        if not versions:
            return []
    content = versions[-1].content
    tracking_rows = await info.context.load.agreements.tracking.load(plan_id)
    values, _ = rollup(content, tracking_rows)
    tracked = {t.action_id: t for t in tracking_rows}
    out = []
    for action_id, a in sorted(content["actions"].items(), key=lambda kv: (kv[1]["due_on"], kv[1]["title"])):
        planned = PlannedAction.from_content(action_id, a)
        t = tracked.get(action_id)
        status = DomainActionStatus(t.status if t else "planned")
        out.append(Action(
            **{k: getattr(planned, k) for k in ("id", "title", "description", "due_on", "weight", "parent_id",
                                               "milestones", "lead_city_id", "supporting_ids")},
            status=status, progress=t.progress if t else 0, rolled_up_progress=round(values[action_id], 2),
            overdue=status in (DomainActionStatus.PLANNED, DomainActionStatus.IN_PROGRESS, DomainActionStatus.BLOCKED)
            and planned.due_on < today,
            current_lead_id=(t.lead_city_id if t and t.lead_city_id else a["lead_city_id"]), plan_id=plan_id,
        ))
    return out


@strawberry.type(description="A joint crisis protocol: ordered steps for a type of crisis, agreed per version.")
class Protocol(AgreementDocument):
    crisis_type: CrisisType  # type: ignore[valid-type]

    @classmethod
    def from_row(cls, row: AgreementRow) -> Protocol:
        return cls(crisis_type=DomainCrisisType(row.crisis_type), **_document_fields(row, "Protocol"))

    @strawberry.field(description="Steps of the current version, in order.")
    async def steps(self, info: Info) -> list[ProtocolStep]:
        required = await self._required(info)
        return AgreementVersion.from_row((await self._versions(info))[-1], required).steps


@strawberry.type(description="An open action a city leads or supports.")
class OwedAction:
    role: str = strawberry.field(description="lead or supporting")
    overdue: bool
    action: Action
    plan: ActionPlan
