"""GraphQL types for shared action plans and joint crisis protocols."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from citynet.domain.agreement import Decision as DomainDecision
from citynet.domain.agreement import VersionStatus as DomainVersionStatus
from citynet.domain.plan import ActionStatus as DomainActionStatus
from citynet.domain.plan import action_parties
from citynet.domain.protocol import CrisisType as DomainCrisisType
from citynet.graphql.context import Info
import enum

from citynet.graphql.ids import to_global_id
from citynet.domain.party import party_uuid
from citynet.graphql.translations import LANG, TextSource, TranslatedText
from citynet.graphql.types import City, Network, Node, Party, city_by_id, parties_by_id, party_by_id
from citynet.graphql.workshop_types import Workshop
from citynet.services.plan_reports import current_actions, diff_versions
from citynet.services.readmodel.agreement_queries import AgreementRow, EndorsementRow, VersionRow, rollup

ActionStatus = strawberry.enum(DomainActionStatus, name="ActionStatus")
VersionStatus = strawberry.enum(DomainVersionStatus, name="VersionStatus")
Decision = strawberry.enum(DomainDecision, name="EndorsementDecision")
CrisisType = strawberry.enum(DomainCrisisType, name="CrisisType")


@strawberry.type(description="A partner's answer to one exact version, and who signed for it. For a declaration, "
                              "an endorsement is a signature.")
class Endorsement:
    decision: Decision  # type: ignore[valid-type]
    signed_by: str
    signatory_role: str
    answered_at: datetime = strawberry.field(description="Record time: when citynet recorded the answer.")
    party_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: EndorsementRow) -> Endorsement:
        return cls(decision=DomainDecision(row.decision), signed_by=row.signed_by, signatory_role=row.signatory_role,
                   answered_at=datetime.fromisoformat(row.answered_at), party_id=row.city_id)

    @strawberry.field(description="The answering city; null when the partner is not a city (see `party`).")
    async def city(self, info: Info) -> City | None:
        party = await party_by_id(info, self.party_id)
        return party if isinstance(party, City) else None

    @strawberry.field(description="The answering partner: a city, network, commission or organisation.")
    async def party(self, info: Info) -> Party | None:  # type: ignore[valid-type]
        return await party_by_id(info, self.party_id)


@strawberry.enum(description="What an action update records.")
class ActionUpdateKind(enum.Enum):
    PROGRESS = "progress"
    HANDOVER = "handover"


@strawberry.enum(description="How a city is bound to an action.")
class ActionRole(enum.Enum):
    LEAD = "lead"
    SUPPORTING = "supporting"


def action_id(plan_id: str, action: str) -> strawberry.ID:
    return to_global_id("Action", plan_id, action)


def milestone_id(plan_id: str, milestone: str) -> strawberry.ID:
    return to_global_id("Milestone", plan_id, milestone)


def step_id(protocol_id: str, step: str) -> strawberry.ID:
    return to_global_id("ProtocolStep", protocol_id, step)


@strawberry.type(description="A dated step towards an action; reachable with `node` while the plan's "
                              "current version has it.")
class Milestone(Node):
    id: strawberry.ID
    title: str
    due_on: date


@strawberry.type(description="An action as a version of the plan states it; `id` is the Action's id.")
class PlannedAction:
    id: strawberry.ID
    due_on: date
    weight: float
    parent_id: strawberry.ID | None
    milestones: list[Milestone]
    lead_city_id: strawberry.Private[str | None]
    supporting_ids: strawberry.Private[list[str]]
    responsible_keys: strawberry.Private[list[str]]
    supporting_keys: strawberry.Private[list[str]]
    source: strawberry.Private[TextSource]

    @staticmethod
    def fields_of(plan_id: str, action: str, a: dict[str, Any], version: int) -> dict[str, Any]:
        return dict(
            id=action_id(plan_id, action), source=TextSource(plan_id, action, version, a),
            due_on=date.fromisoformat(a["due_on"]), weight=a["weight"],
            parent_id=action_id(plan_id, a["parent_id"]) if a.get("parent_id") else None,
            milestones=[Milestone(id=milestone_id(plan_id, m), title=v["title"], due_on=date.fromisoformat(v["due_on"]))
                        for m, v in sorted(a["milestones"].items(), key=lambda kv: kv[1]["due_on"])],
            lead_city_id=a["lead_city_id"], supporting_ids=list(a["supporting_city_ids"]),
            responsible_keys=action_parties(a)[0], supporting_keys=action_parties(a)[1],
        )

    @classmethod
    def from_content(cls, plan_id: str, action: str, a: dict[str, Any], version: int) -> PlannedAction:
        return cls(**cls.fields_of(plan_id, action, a, version))

    @strawberry.field
    async def title(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await self.source.text(info, "actionTitle", "title", lang)

    @strawberry.field
    async def description(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await self.source.text(info, "actionDescription", "description", lang)

    @strawberry.field(description="The action's translatable texts in the reader's language (decision 017); "
                                  "translations belong to the version this action is read from.")
    async def texts(self, info: Info, lang: Annotated[str | None, LANG] = None,
                    easy_read: bool = False, include_stale: bool = False) -> list[TranslatedText]:
        return await self.source.all(info, [("actionTitle", "title"), ("actionDescription", "description")],
                                     lang, easy_read, include_stale)

    @strawberry.field(description="The first responsible party the plan names, when it is a city; null when "
                                  "it is a network, commission or organisation, or when none is named "
                                  "(see `responsibleParties`).")
    async def lead_city(self, info: Info) -> City | None:
        return await city_by_id(info, self.lead_city_id) if self.lead_city_id else None

    @strawberry.field(description="The supporting parties that are cities (see `supportingParties`).")
    async def supporting_cities(self, info: Info) -> list[City]:
        return [await city_by_id(info, c) for c in self.supporting_ids]

    @strawberry.field(description="Who the plan makes responsible, in the plan's order (the first leads); "
                                  "empty when the action names no one.")
    async def responsible_parties(self, info: Info) -> list[Party]:  # type: ignore[valid-type]
        return await parties_by_id(info, [str(party_uuid(k)) for k in self.responsible_keys])

    @strawberry.field(description="Who supports the responsible parties: cities, networks, commissions, "
                                  "organisations.")
    async def supporting_parties(self, info: Info) -> list[Party]:  # type: ignore[valid-type]
        return await parties_by_id(info, [str(party_uuid(k)) for k in self.supporting_keys])


@strawberry.type(description="A progress report or a hand-over of responsibility.")
class ActionUpdate:
    kind: ActionUpdateKind
    progress: int | None
    status: ActionStatus | None  # type: ignore[valid-type]
    note: str
    at: datetime
    to_city_id: strawberry.Private[str | None]

    @strawberry.field(description="For a hand-over: the city that now leads.")
    async def to_city(self, info: Info) -> City | None:
        return await city_by_id(info, self.to_city_id) if self.to_city_id else None


@strawberry.type(description="An action of the current version, with how it is being carried out.")
class Action(PlannedAction, Node):
    id: strawberry.ID
    status: ActionStatus  # type: ignore[valid-type]
    progress: int = strawberry.field(description="Last reported progress, 0-100.")
    rolled_up_progress: float = strawberry.field(description="By weight over sub-actions, dropped ones excluded.")
    overdue: bool = strawberry.field(description="Open and past its due day in the responsible city's time zone.")
    current_lead_id: strawberry.Private[str | None]
    plan_id: strawberry.Private[str]
    action_key: strawberry.Private[str]

    @strawberry.field(description="The city responsible now (after any hand-over); null when the lead is not "
                                  "a city or no one is named (see `responsibleParties`).")
    async def responsible_city(self, info: Info) -> City | None:
        return await city_by_id(info, self.current_lead_id) if self.current_lead_id else None

    @strawberry.field
    async def updates(self, info: Info) -> list[ActionUpdate]:
        rows = await info.context.load.agreements.log.load(self.plan_id)
        return [ActionUpdate(kind=ActionUpdateKind(r.kind), progress=r.progress,
                             status=DomainActionStatus(r.status) if r.status else None, note=r.note,
                             at=datetime.fromisoformat(r.at), to_city_id=r.to_city_id)
                for r in rows if r.action_id == self.action_key]


@strawberry.type(description="A step of a protocol; reachable with `node` while the current version has it.")
class ProtocolStep(Node):
    id: strawberry.ID
    position: int
    responsible_role: str
    time_frame: str
    source: strawberry.Private[TextSource]

    @strawberry.field
    async def instruction(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await self.source.text(info, "stepInstruction", "instruction", lang)

    @strawberry.field(description="The step's instruction in the reader's language, and its easy-read variant "
                                  "when asked (decision 017); translations belong to this step's version.")
    async def texts(self, info: Info, lang: Annotated[str | None, LANG] = None,
                    easy_read: bool = False, include_stale: bool = False) -> list[TranslatedText]:
        return await self.source.all(info, [("stepInstruction", "instruction")], lang, easy_read, include_stale)


@strawberry.type(description="One version of a plan or protocol as it was, with its endorsements.")
class AgreementVersion:
    number: int
    status: VersionStatus  # type: ignore[valid-type]
    status_changed_at: datetime
    actions: list[PlannedAction]
    steps: list[ProtocolStep]
    required_endorsements: int
    agreement_id: strawberry.Private[str]
    source: strawberry.Private[TextSource]

    @strawberry.field
    async def title(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await self.source.text(info, "title", "title", lang)

    @strawberry.field
    async def purpose(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        return await self.source.text(info, "purpose", "purpose", lang)

    @strawberry.field(description="This version's own translatable texts (title, purpose) in the reader's "
                                  "language (decision 017).")
    async def texts(self, info: Info, lang: Annotated[str | None, LANG] = None,
                    easy_read: bool = False, include_stale: bool = False) -> list[TranslatedText]:
        return await self.source.all(info, [("title", "title"), ("purpose", "purpose")], lang, easy_read, include_stale)

    @classmethod
    def from_row(cls, row: VersionRow, required: int) -> AgreementVersion:
        c = row.content
        return cls(
            number=row.version, status=DomainVersionStatus(row.status),
            source=TextSource(row.agreement_id, None, row.version, c), status_changed_at=datetime.fromisoformat(row.status_changed_at),
            actions=[PlannedAction.from_content(row.agreement_id, a, v, row.version) for a, v in sorted(
                c.get("actions", {}).items(), key=lambda kv: (kv[1]["due_on"], kv[1]["title"]))],
            steps=[ProtocolStep(id=step_id(row.agreement_id, s["id"]), position=i,
                                responsible_role=s["responsible_role"], time_frame=s["time_frame"],
                                source=TextSource(row.agreement_id, s["id"], row.version, s))
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
    id: strawberry.ID = strawberry.field(description="The Action or ProtocolStep id.")
    title: str
    fields: list[str] = strawberry.field(description="Changed fields, named as the API names them (dueOn).")


@strawberry.type(description="What changed between two versions.")
class VersionDiff:
    from_version: int
    to_version: int
    title_changed: bool
    added: list[VersionChange]
    removed: list[VersionChange]
    changed: list[VersionChange]


@strawberry.type(description="The document has no version with this number that you may see.")
class NoSuchVersion:
    message: str
    number: int
    latest: int = strawberry.field(description="The latest version you may see (0: none).")


VersionDiffResult = Annotated[VersionDiff | NoSuchVersion, strawberry.union("VersionDiffResult")]


def _changes(kind: str, document_id: str, items: list[Any]) -> list[VersionChange]:
    make = action_id if kind == "plan" else step_id
    return [VersionChange(id=make(document_id, c.id), title=c.title, fields=c.fields) for c in items]


@strawberry.interface(description="A document partner cities agree on, version by version.")
class AgreementDocument(Node):
    id: strawberry.ID
    status: VersionStatus = strawberry.field(description="Status of the current (latest) version.")  # type: ignore[valid-type]
    current_version: int
    adopted_version: int | None = strawberry.field(description="The latest adopted version, if any.")
    quorum: int | None = strawberry.field(description="Endorsements needed; null means every partner.")
    row: strawberry.Private[AgreementRow]

    @strawberry.field(description="The title of the latest version you may see; in the reader's language "
                                  "(`lang`, else Accept-Language) when that version's title is translated.")
    async def title(self, info: Info, lang: Annotated[str | None, LANG] = None) -> str:
        if lang is None and not info.context.languages:
            return self.row.title
        versions = await self._versions(info)
        if not versions:
            return self.row.title
        latest = versions[-1]
        return await TextSource(self.row.id, None, latest.version, latest.content).text(info, "title", "title", lang)

    async def _versions(self, info: Info) -> list[VersionRow]:
        """The versions this caller may see (services/readmodel/visibility.py)."""
        return await info.context.load.agreements.versions.load(self.row.id)  # type: ignore[no-any-return]

    async def _required(self, info: Info) -> int:
        partners = await info.context.load.agreements.partner_ids.load(self.row.id)
        return self.row.quorum if self.row.quorum is not None else len(partners)

    @strawberry.field
    async def organisers(self, info: Info) -> list[Network]:
        ids = await info.context.load.agreements.network_ids.load(self.row.id)
        rows = await info.context.load.network.load_many(ids)
        return sorted((Network.from_row(r) for r in rows if r), key=lambda n: n.name)

    @strawberry.field(description="Partner cities (see `partnerParties` for partners of every kind).")
    async def partners(self, info: Info) -> list[City]:
        ids = await info.context.load.agreements.partner_ids.load(self.row.id)
        rows = await info.context.load.city.load_many(ids)
        return sorted((City.from_row(r) for r in rows if r), key=lambda c: c.name)

    @strawberry.field(description="Every partner (a declaration's signatories): cities, networks, commissions, "
                                  "organisations, by name.")
    async def partner_parties(self, info: Info) -> list[Party]:  # type: ignore[valid-type]
        ids = await info.context.load.agreements.partner_ids.load(self.row.id)
        return sorted(await parties_by_id(info, list(ids)), key=lambda p: p.name)

    @strawberry.field
    async def versions(self, info: Info) -> list[AgreementVersion]:
        required = await self._required(info)
        return [AgreementVersion.from_row(v, required) for v in await self._versions(info)]

    @strawberry.field(description="The document as it was at a version.")
    async def version(self, info: Info, number: int) -> AgreementVersion | None:
        required = await self._required(info)
        return next((AgreementVersion.from_row(v, required) for v in await self._versions(info) if v.version == number), None)

    @strawberry.field(description="Actions or steps added, removed and changed between two versions.")
    async def diff(self, info: Info, from_version: int, to_version: int) -> VersionDiffResult:  # type: ignore[valid-type]
        by_number = {v.version: v for v in await self._versions(info)}
        for number in (from_version, to_version):
            if number not in by_number:
                return NoSuchVersion(message=f"{self.row.title!r} has no version {number}", number=number,
                                     latest=max(by_number, default=0))
        d = diff_versions(self.row.kind, by_number[from_version], by_number[to_version])
        kind, doc = self.row.kind, self.row.id
        return VersionDiff(from_version=from_version, to_version=to_version, title_changed=d.title_changed,
                           added=_changes(kind, doc, d.added), removed=_changes(kind, doc, d.removed),
                           changed=_changes(kind, doc, d.changed))


def _document_fields(row: AgreementRow, kind: str) -> dict[str, Any]:
    return dict(id=to_global_id(kind, row.id), status=DomainVersionStatus(row.latest_status),
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
        return [Workshop.from_row(r) for r in sorted((r for r in rows if r), key=lambda r: (
            r.start_date is None, r.start_date or date.min, r.title))]

    @strawberry.field(description="Actions of the current version with their tracking, earliest due first.")
    async def actions(self, info: Info) -> list[Action]:
        return [a for a in await plan_actions(info, self.row.id)]

    @strawberry.field(description="Rolled-up progress of the whole plan, 0-100.")
    async def progress(self, info: Info) -> float:
        content = (await self._versions(info))[-1].content
        return rollup(content, await info.context.load.agreements.tracking.load(self.row.id))[1]


async def plan_actions(info: Info, plan_id: str, today: date | None = None) -> list[Action]:
    """The current (visible) version's actions; overdue by each responsible city's calendar
    unless ``today`` fixes the day."""
    versions = await info.context.load.agreements.versions.load(plan_id)
    if not versions:
        return []
    tracking_rows = await info.context.load.agreements.tracking.load(plan_id)
    content = versions[-1].content
    leads = {t.lead_city_id for t in tracking_rows if t.lead_city_id} | {
        a["lead_city_id"] for a in content["actions"].values() if a.get("lead_city_id")}
    cities = {c.id: c for c in await info.context.load.city.load_many(sorted(leads)) if c}
    reads = info.context.reads

    def today_of(city_id: str | None) -> date:
        return today or reads.today(cities[city_id].time_zone if city_id in cities else "UTC")

    return [Action(**PlannedAction.fields_of(plan_id, v.id, v.content, versions[-1].version),
                   status=DomainActionStatus(v.status),
                   progress=v.progress, rolled_up_progress=v.rolled_up_progress, overdue=v.overdue,
                   current_lead_id=v.current_lead_id, plan_id=plan_id, action_key=v.id)
            for v in current_actions(content, tracking_rows, today_of)]


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


@strawberry.type(description="A declaration: an agreement whose endorsements are signatures (e.g. the Declaration "
                              "of Nice). Its partners (`partnerParties`) are the named signatories; signatories the "
                              "sources count but do not name are given as a number (`furtherSignatories`).")
class Declaration(AgreementDocument):
    @classmethod
    def from_row(cls, row: AgreementRow) -> Declaration:
        return cls(**_document_fields(row, "Declaration"))

    async def _content(self, info: Info) -> dict[str, Any]:
        return (await self._versions(info))[-1].content  # type: ignore[no-any-return]

    @strawberry.field(description="The declaration's text or summary (current version).")
    async def text(self, info: Info) -> str:
        return str((await self._content(info)).get("text", ""))

    @strawberry.field(description="Effective time: the month of adoption as the sources give it (YYYY-MM); "
                                  "null if unknown. Record times are the endorsements' `answeredAt`.")
    async def adopted_in(self, info: Info) -> str | None:
        return (await self._content(info)).get("adopted_in")

    @strawberry.field(description="How many further signatories the sources count without naming them "
                                  "(e.g. 60 mayors); 0 if none.")
    async def further_signatories(self, info: Info) -> int:
        return int((await self._content(info)).get("further_signatories", 0))

    @strawberry.field(description="Who the further signatories are, as the sources state it "
                                  "(e.g. 'mayors from 18 countries').")
    async def further_signatories_note(self, info: Info) -> str:
        return str((await self._content(info)).get("further_signatories_note", ""))

    @strawberry.field(description="Named signatories that have signed (endorsed) the current version.")
    async def signatories(self, info: Info) -> list[Party]:  # type: ignore[valid-type]
        latest = (await self._versions(info))[-1]
        rows = await info.context.load.agreements.endorsements.load(self.row.id)
        signed = [r.city_id for r in rows if r.version == latest.version and r.decision == "endorse"]
        return await parties_by_id(info, signed)


@strawberry.type(description="An open action a city leads or supports.")
class OwedAction:
    role: ActionRole
    overdue: bool
    action: Action
    plan: ActionPlan
