"""Projection health over GraphQL (admins and auditors), and staleness told to every reader.

``projections`` reports each read model's position, lag and, for a stalled one, the event
and the error. Any response served while a read model lags behind the log or is stalled
carries ``extensions.readModels`` naming them, so a client knows what it sees may be old.
"""

from __future__ import annotations

import enum
from typing import Any

import anyio.to_thread
import strawberry
from strawberry.extensions import SchemaExtension

from citynet.graphql.context import Info


@strawberry.enum(description="How a read model stands against the event log.")
class ProjectionState(enum.Enum):
    CURRENT = "current"
    CATCHING_UP = "catching_up"
    STALLED = "stalled"


@strawberry.type(description="One read model (projection) of the event log.")
class ProjectionStatus:
    name: str
    state: ProjectionState
    position: int = strawberry.field(description="The last event position it has applied.")
    head: int = strawberry.field(description="The last stored event position.")
    lag: int = strawberry.field(description="Positions between the two (an upper bound: positions have gaps).")
    stalled_at: int | None = strawberry.field(description="The event position it cannot apply, while stalled.")
    error: str | None = strawberry.field(description="Why, while stalled.")


@strawberry.type
class ProjectionsQuery:
    @strawberry.field(description="Each read model's position, lag and health (admins and auditors).")
    async def projections(self, info: Info) -> list[ProjectionStatus]:
        rows = await anyio.to_thread.run_sync(info.context.services.projection_status, info.context.actor)
        return [ProjectionStatus(name=s.name, state=ProjectionState(s.state), position=s.position, head=s.head,
                                 lag=s.lag, stalled_at=s.stalled_at, error=s.error) for s in rows]


class ReadModelFreshness(SchemaExtension):
    """Adds ``extensions.readModels`` when a read model is behind the log or stalled."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        services = getattr(context, "citynet", None)
        if services is None:
            return {}
        lagging = services.projections.board.lagging()
        if not lagging:
            return {}
        return {"readModels": {name: {"position": s.position, "stalledAt": s.stalled_at}
                               for name, s in sorted(lagging.items())}}
