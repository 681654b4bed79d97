"""Queries on action plans and protocols."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from citynet.graphql.agreement_types import (
    ActionPlan,
    ActionRole,
    CrisisType,
    Declaration,
    OwedAction,
    Protocol,
    VersionStatus,
    plan_actions,
)
from citynet.graphql.context import Info
from citynet.graphql.ids import from_global_id
from citynet.graphql.types import Connection, to_connection
from citynet.services import authz
from citynet.services.plan_reports import owed_by


def _optional_id(value: strawberry.ID | None, kind: str, field: str) -> str | None:
    return str(from_global_id(value, kind, field)[0]) if value is not None else None


@strawberry.type
class AgreementQuery:
    @strawberry.field(description="Action plans by title; filter by network, partner city, status and project.")
    async def action_plans(
        self, info: Info, first: int | None = None, after: str | None = None,
        network_id: strawberry.ID | None = None, city_id: strawberry.ID | None = None,
        statuses: list[VersionStatus] | None = None,  # type: ignore[valid-type]
        project_id: strawberry.ID | None = None,
    ) -> Connection[ActionPlan]:
        page = await info.context.reads.agreements_page(
            "plan", first, after, network_id=_optional_id(network_id, "Network", "networkId"),
            city_id=_optional_id(city_id, "City", "cityId"), statuses=tuple(s.value for s in statuses or ()),
            project_id=_optional_id(project_id, "Project", "projectId"))
        return to_connection(page, ActionPlan.from_row)

    @strawberry.field(description="One action plan by id; null if there is none you may see.")
    async def action_plan(self, info: Info, id: strawberry.ID) -> ActionPlan | None:
        (plan_id,) = from_global_id(id, "ActionPlan", "id")
        row = await info.context.load.agreements.agreement.load(str(plan_id))
        return ActionPlan.from_row(row) if row is not None and row.kind == "plan" else None

    @strawberry.field(description="Joint crisis protocols by title; filter by network, partner city, crisis type, status, project.")
    async def protocols(
        self, info: Info, first: int | None = None, after: str | None = None,
        network_id: strawberry.ID | None = None, city_id: strawberry.ID | None = None,
        crisis_type: CrisisType | None = None,  # type: ignore[valid-type]
        statuses: list[VersionStatus] | None = None,  # type: ignore[valid-type]
        project_id: strawberry.ID | None = None,
    ) -> Connection[Protocol]:
        page = await info.context.reads.agreements_page(
            "protocol", first, after, network_id=_optional_id(network_id, "Network", "networkId"),
            city_id=_optional_id(city_id, "City", "cityId"), statuses=tuple(s.value for s in statuses or ()),
            project_id=_optional_id(project_id, "Project", "projectId"),
            crisis_type=crisis_type.value if crisis_type else None)
        return to_connection(page, Protocol.from_row)

    @strawberry.field(description="One protocol by id; null if there is none you may see.")
    async def protocol(self, info: Info, id: strawberry.ID) -> Protocol | None:
        (protocol_id,) = from_global_id(id, "Protocol", "id")
        row = await info.context.load.agreements.agreement.load(str(protocol_id))
        return Protocol.from_row(row) if row is not None and row.kind == "protocol" else None

    @strawberry.field(description="Declarations (agreements whose endorsements are signatures) by title; filter by "
                                  "network, signatory city and status.")
    async def declarations(
        self, info: Info, first: int | None = None, after: str | None = None,
        network_id: strawberry.ID | None = None, city_id: strawberry.ID | None = None,
        statuses: list[VersionStatus] | None = None,  # type: ignore[valid-type]
    ) -> Connection[Declaration]:
        page = await info.context.reads.agreements_page(
            "decl", first, after, network_id=_optional_id(network_id, "Network", "networkId"),
            city_id=_optional_id(city_id, "City", "cityId"), statuses=tuple(s.value for s in statuses or ()))
        return to_connection(page, Declaration.from_row)

    @strawberry.field(description="One declaration by id; null if there is none you may see.")
    async def declaration(self, info: Info, id: strawberry.ID) -> Declaration | None:
        (declaration_id,) = from_global_id(id, "Declaration", "id")
        row = await info.context.load.agreements.agreement.load(str(declaration_id))
        return Declaration.from_row(row) if row is not None and row.kind == "decl" else None

    @strawberry.field(description="What a city owes: open actions it leads or supports, overdue first.")
    async def owed_actions(self, info: Info, city_id: strawberry.ID, today: date | None = None) -> list[OwedAction]:
        authz.require("plan:read-obligations", not authz.is_public(info.context.actor))
        city = str(from_global_id(city_id, "City", "cityId")[0])
        row = await info.context.load.city.load(city)
        day = today or info.context.reads.today(row.time_zone if row else "UTC")  # the city's own today
        owed = await owed_by(info.context.services.reads, city, day)
        actions: dict[str, dict[str, Any]] = {}  # each plan's actions built once, not once per owed action
        for plan_id in dict.fromkeys(o.plan.id for o in owed):
            actions[plan_id] = {a.action_key: a for a in await plan_actions(info, plan_id, day)}
        return [OwedAction(role=ActionRole(o.role), overdue=o.overdue, action=actions[o.plan.id][o.action_id],
                           plan=ActionPlan.from_row(o.plan)) for o in owed]
