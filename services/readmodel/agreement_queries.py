"""Read-model queries about action plans and protocols (mixed into ReadModel)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, select

from citynet.domain.plan import ActionStatus, Tracking, plan_progress, rolled_up
from citynet.services.readmodel.paging import Page
from citynet.services.readmodel.tables import (
    action_log,
    action_tracking,
    agreement_networks,
    agreement_partners,
    agreement_versions,
    agreements,
    endorsements,
    plan_workshops,
    project_outputs,
)


@dataclass(frozen=True)
class AgreementRow:
    id: str
    kind: str
    title: str
    crisis_type: str | None
    starts_on: date | None
    quorum: int | None
    latest_version: int
    latest_status: str
    adopted_version: int | None


@dataclass(frozen=True)
class VersionRow:
    agreement_id: str
    version: int
    status: str
    content: dict[str, Any]
    status_changed_at: str


@dataclass(frozen=True)
class EndorsementRow:
    agreement_id: str
    version: int
    city_id: str
    decision: str
    signed_by: str
    signatory_role: str
    answered_at: str


@dataclass(frozen=True)
class TrackingRow:
    action_id: str
    status: str
    progress: int
    lead_city_id: str | None


@dataclass(frozen=True)
class LogRow:
    position: int
    action_id: str
    kind: str
    progress: int | None
    status: str | None
    from_city_id: str | None
    to_city_id: str | None
    note: str
    at: str


def _agreement(r: Any) -> AgreementRow:
    return AgreementRow(r.id, r.kind, r.title, r.crisis_type, r.starts_on, r.quorum, r.latest_version,
                        r.latest_status, r.adopted_version)


def as_tracking(rows: Iterable[TrackingRow]) -> dict[str, Tracking]:
    return {r.action_id: Tracking(ActionStatus(r.status), r.progress) for r in rows}


def rollup(content: dict[str, Any], tracking_rows: Iterable[TrackingRow]) -> tuple[dict[str, float], float]:
    tracking = as_tracking(tracking_rows)
    return rolled_up(content["actions"], tracking), plan_progress(content["actions"], tracking)


class AgreementQueries:
    async def agreements_page(
        self, kind: str, first: int | None, after: str | None, *, network_id: str | None = None,
        city_id: str | None = None, statuses: tuple[str, ...] = (), crisis_type: str | None = None,
        adopted_only: bool = False, project_id: str | None = None,
    ) -> Page[AgreementRow]:
        conditions = [agreements.c.kind == kind]
        if project_id:
            conditions.append(exists().where(and_(project_outputs.c.output_id == agreements.c.id,
                                                  project_outputs.c.project_id == project_id)))
        if adopted_only:
            conditions.append(agreements.c.adopted_version.is_not(None))
        if network_id:
            conditions.append(exists().where(and_(agreement_networks.c.agreement_id == agreements.c.id,
                                                  agreement_networks.c.network_id == network_id)))
        if city_id:
            conditions.append(exists().where(and_(agreement_partners.c.agreement_id == agreements.c.id,
                                                  agreement_partners.c.city_id == city_id)))
        if statuses:
            conditions.append(agreements.c.latest_status.in_(statuses))
        if crisis_type:
            conditions.append(agreements.c.crisis_type == crisis_type)
        return await self._keyset_page(agreements, and_(*conditions), first, after, _agreement, keys=("title", "id"))  # type: ignore[attr-defined,no-any-return]

    async def agreements_by_id(self, ids: Iterable[str]) -> dict[str, AgreementRow]:
        rows = await self._all(select(agreements).where(agreements.c.id.in_(list(ids))))  # type: ignore[attr-defined]
        return {r.id: _agreement(r) for r in rows}

    async def versions_of(self, ids: Iterable[str]) -> dict[str, list[VersionRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(agreement_versions).where(agreement_versions.c.agreement_id.in_(list(ids)))
            .order_by(agreement_versions.c.version), "agreement_id",
            lambda r: VersionRow(r.agreement_id, r.version, r.status, json.loads(r.content), r.status_changed_at))

    async def endorsements_of(self, ids: Iterable[str]) -> dict[str, list[EndorsementRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(endorsements).where(endorsements.c.agreement_id.in_(list(ids)))
            .order_by(endorsements.c.version, endorsements.c.answered_at, endorsements.c.city_id), "agreement_id",
            lambda r: EndorsementRow(r.agreement_id, r.version, r.city_id, r.decision, r.signed_by,
                                     r.signatory_role, r.answered_at))

    async def agreement_network_ids(self, ids: Iterable[str]) -> dict[str, list[str]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(agreement_networks).where(agreement_networks.c.agreement_id.in_(list(ids))),
            "agreement_id", lambda r: r.network_id)

    async def agreement_partner_ids(self, ids: Iterable[str]) -> dict[str, list[str]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(agreement_partners).where(agreement_partners.c.agreement_id.in_(list(ids))),
            "agreement_id", lambda r: r.city_id)

    async def plan_workshop_ids(self, ids: Iterable[str]) -> dict[str, list[str]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(plan_workshops).where(plan_workshops.c.plan_id.in_(list(ids))), "plan_id", lambda r: r.workshop_id)

    async def tracking_of(self, plan_ids: Iterable[str]) -> dict[str, list[TrackingRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(action_tracking).where(action_tracking.c.plan_id.in_(list(plan_ids))), "plan_id",
            lambda r: TrackingRow(r.action_id, r.status, r.progress, r.lead_city_id))

    async def action_log_of(self, plan_ids: Iterable[str]) -> dict[str, list[LogRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(action_log).where(action_log.c.plan_id.in_(list(plan_ids))).order_by(action_log.c.position),
            "plan_id", lambda r: LogRow(r.position, r.action_id, r.kind, r.progress, r.status, r.from_city_id,
                                        r.to_city_id, r.note, r.at))

    async def plan_ids_of_city(self, city_id: str) -> list[str]:
        rows = await self._all(  # type: ignore[attr-defined]
            select(agreements.c.id).where(agreements.c.kind == "plan", exists().where(and_(
                agreement_partners.c.agreement_id == agreements.c.id, agreement_partners.c.city_id == city_id)))
            .order_by(agreements.c.title, agreements.c.id))
        return [r.id for r in rows]
