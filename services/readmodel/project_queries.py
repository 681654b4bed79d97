"""Read-model queries about projects (mixed into ReadModel). Projects are public, as networks are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select

from citynet.services.readmodel.paging import Page
from citynet.services.readmodel.tables import project_outputs, project_partners, projects


@dataclass(frozen=True)
class ProjectRow:
    id: str
    name: str
    acronym: str
    objectives: str
    start_date: date
    end_date: date
    status: str
    status_reason: str

    def runs_on(self, day: date) -> bool:
        """One of the project's days (first to last, both included): no partnership runs outside them."""
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class PartnershipRow:
    partnership_id: str
    project_id: str
    party_kind: str
    party_id: str
    party_network_id: str | None
    role: str
    since: date
    until: date | None

    def covers(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class OutputRow:
    output_id: str
    project_id: str
    output_kind: str


def partnerships_on(project: ProjectRow, rows: Iterable[PartnershipRow], day: date) -> list[PartnershipRow]:
    """The partnerships running on ``day``: none outside the project's days (decision 015), whatever a
    partnership's own ``until`` says (null means to the project's end)."""
    return [r for r in rows if r.covers(day)] if project.runs_on(day) else []


def _project(r: Any) -> ProjectRow:
    return ProjectRow(r.id, r.name, r.acronym, r.objectives, r.start_date, r.end_date, r.status, r.status_reason)


def _partnership(r: Any) -> PartnershipRow:
    return PartnershipRow(r.partnership_id, r.project_id, r.party_kind, r.party_id, r.party_network_id, r.role,
                          r.since, r.until)


class ProjectQueries:
    async def projects_page(self, first: int | None, after: str | None, *, status: tuple[str, ...] = (),
                            party_id: str | None = None, active_on: date | None = None) -> Page[ProjectRow]:
        conditions: list[Any] = []
        if status:
            conditions.append(projects.c.status.in_(status))
        if party_id:
            conditions.append(exists().where(and_(project_partners.c.project_id == projects.c.id,
                                                  or_(project_partners.c.party_id == party_id,
                                                      project_partners.c.party_network_id == party_id))))
        if active_on:
            conditions.append(and_(projects.c.start_date <= active_on, projects.c.end_date >= active_on))
        where = and_(*conditions) if conditions else None
        return await self._keyset_page(projects, where, first, after, _project)  # type: ignore[attr-defined,no-any-return]

    async def projects_by_id(self, ids: Iterable[str]) -> dict[str, ProjectRow]:
        rows = await self._all(select(projects).where(projects.c.id.in_(list(ids))))  # type: ignore[attr-defined]
        return {r.id: _project(r) for r in rows}

    async def partnerships_of_projects(self, ids: Iterable[str]) -> dict[str, list[PartnershipRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(project_partners).where(project_partners.c.project_id.in_(list(ids)))
            .order_by(project_partners.c.since, project_partners.c.party_kind, project_partners.c.party_id,
                      project_partners.c.partnership_id), "project_id", _partnership)

    async def partnerships_of_parties(self, ids: Iterable[str]) -> dict[str, list[PartnershipRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(project_partners).where(project_partners.c.party_id.in_(list(ids)))
            .order_by(project_partners.c.since, project_partners.c.project_id, project_partners.c.partnership_id),
            "party_id", _partnership)

    async def outputs_of_projects(self, ids: Iterable[str]) -> dict[str, list[OutputRow]]:
        return await self._grouped(  # type: ignore[attr-defined,no-any-return]
            select(project_outputs).where(project_outputs.c.project_id.in_(list(ids)))
            .order_by(project_outputs.c.attached_position), "project_id",
            lambda r: OutputRow(r.output_id, r.project_id, r.output_kind))

    async def projects_of_outputs(self, ids: Iterable[str]) -> dict[str, str]:
        rows = await self._all(select(project_outputs).where(project_outputs.c.output_id.in_(list(ids))))  # type: ignore[attr-defined]
        return {r.output_id: r.project_id for r in rows}
