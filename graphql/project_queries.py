"""Queries on projects."""

from __future__ import annotations

from datetime import date

import strawberry

from citynet.graphql.context import Info
from citynet.graphql.ids import decode_any, from_global_id
from citynet.graphql.project_types import Project, ProjectStatus
from citynet.graphql.types import Connection, to_connection


def party_uuid(value: str, field: str) -> str:
    """The UUID of a City, Network, Commission or Organisation id (the last part of the global id)."""
    decoded = decode_any(value)
    if decoded is None or decoded[0] not in ("City", "Network", "Commission", "Organisation") or not decoded[1]:
        from citynet.domain.errors import InvalidInput

        raise InvalidInput(field, f"{value!r} is not a City, Network, Commission or Organisation id")
    return decoded[1][-1]


@strawberry.type
class ProjectQuery:
    @strawberry.field(description="Projects by name; filter by status, by a partner (any time), or by running on a "
                                  "day (`activeOn`, between their planned start and end).")
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None,
        statuses: list[ProjectStatus] | None = None,  # type: ignore[valid-type]
        partner_id: strawberry.ID | None = None, active_on: date | None = None,
    ) -> Connection[Project]:
        page = await info.context.reads.reads.projects_page(
            first, after, status=tuple(s.value for s in statuses or ()),
            party_id=party_uuid(partner_id, "partnerId") if partner_id else None, active_on=active_on)
        return to_connection(page, Project.from_row)

    @strawberry.field(description="One project by id; null if there is none.")
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        (project_id,) = from_global_id(id, "Project", "id")
        row = await info.context.load.projects.project.load(str(project_id))
        return Project.from_row(row) if row else None
