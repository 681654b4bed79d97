"""Auditors' view: every event with its attribution, any record as it was, the chain head."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import anyio.to_thread
import strawberry
from strawberry.scalars import JSON

from citynet.domain.errors import InvalidInput, NotFound
from citynet.graphql.context import Info
from citynet.graphql.ids import decode_any, to_global_id
from citynet.graphql.types import Connection, Node, Position, to_connection
from citynet.services import audit_chain, authz
from citynet.services.history import as_of
from citynet.services.readmodel.audit_queries import EventFilter as Criteria
from citynet.services.readmodel.audit_queries import EventRow


def _require_history(info: Info) -> None:
    authz.require("history:read", authz.can_read_history(info.context.actor))


def aggregate_uuid(value: str, field: str) -> UUID:
    """A global id of any record, or the raw aggregate UUID found in the event log."""
    decoded = decode_any(value)
    if decoded is not None and decoded[1]:
        return UUID(decoded[1][-1])
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not an id") from None


ActorRole = strawberry.enum(authz.Role, name="ActorRole", description="The role an event's actor acted in.")


def record_id(aggregate_type: str, aggregate_id: str) -> strawberry.ID:
    """The global id of a stored record, reachable with ``node``: networks, cities, workshops, plans
    and protocols as themselves, the records the service keeps for itself (``INTERNAL_RECORDS``) as
    an ``AuditRecord``."""
    return to_global_id(aggregate_type, aggregate_id)


# Records in the event log that are not objects of the API: a city's or an organisation's name claim
# (uniqueness within its country), an idempotency receipt, a workshop's calendar sequence, an erasure,
# an output's claim by a project (attached once), a record's translations.
INTERNAL_RECORDS = ("CityName", "OrganisationName", "Receipt", "Calendar", "Erasure", "OutputClaim", "Translations")


@strawberry.type
class EventActor:
    id: str = strawberry.field(description="The token subject (or system/anonymous).")
    role: ActorRole  # type: ignore[valid-type]
    city_id: strawberry.ID | None = strawberry.field(description="The acting city's id, if the actor acts for one.")


@strawberry.type(description="One stored event with who caused it, when, and through which request and command.")
class AuditEvent:
    position: Position  # type: ignore[valid-type]
    aggregate_id: strawberry.ID = strawberry.field(description="The record's global id.")
    aggregate_type: str
    version: int
    event_type: str
    recorded_at: datetime
    actor: EventActor
    correlation_id: str = strawberry.field(description="The request id (returned in X-Request-ID).")
    causation_id: str = strawberry.field(description="The request, or the first event of the same command.")
    command: str
    data: JSON

    @classmethod
    def from_row(cls, r: EventRow) -> AuditEvent:
        return cls(position=r.position, aggregate_id=record_id(r.aggregate_type, r.originator_id),
                   aggregate_type=r.aggregate_type, version=r.originator_version, event_type=r.event_type,
                   recorded_at=datetime.fromisoformat(r.recorded_at),
                   actor=EventActor(id=r.actor_id, role=authz.Role(r.actor_role),
                                    city_id=to_global_id("City", r.actor_city_id) if r.actor_city_id else None),
                   correlation_id=r.correlation_id, causation_id=r.causation_id, command=r.command, data=r.data)


@strawberry.type(description="A record the service keeps for itself, seen in the audit trail: a city name's claim "
                                "(CityName, OrganisationName), an idempotency receipt (Receipt), a workshop's calendar "
                                "(Calendar), an erasure (Erasure), an output's claim by a project (OutputClaim), a "
                                "record's translations (Translations). Reachable with node by those who may read the history (auditors, "
                                "admins); null for everyone else.")
class AuditRecord(Node):
    id: strawberry.ID
    aggregate_type: str = strawberry.field(description="CityName, OrganisationName, Receipt, Calendar, Erasure, OutputClaim or "
                                                       "Translations.")
    version: int = strawberry.field(description="How many events it has.")
    rows: strawberry.Private[list[EventRow]]

    @strawberry.field(description="Its events, oldest first.")
    def history(self) -> list[AuditEvent]:
        return [AuditEvent.from_row(r) for r in self.rows]


async def audit_record(info: Info, kind: str, aggregate_id: str) -> AuditRecord | None:
    """The node for an internal record's global id; None for a caller who may not read the history."""
    if kind not in INTERNAL_RECORDS or not authz.can_read_history(info.context.actor):
        return None
    rows = await info.context.services.reads.history_of(aggregate_id)
    if not rows or rows[0].aggregate_type != kind:
        return None
    return AuditRecord(id=record_id(kind, aggregate_id), aggregate_type=kind, version=rows[-1].originator_version,
                       rows=rows)


@strawberry.input
class EventFilter:
    aggregate_id: strawberry.ID | None = strawberry.field(default=None, description="Global id or aggregate UUID.")
    aggregate_type: str | None = None
    event_type: str | None = None
    actor_id: str | None = None
    city_id: strawberry.ID | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_criteria(self) -> Criteria:
        return Criteria(
            aggregate_id=str(aggregate_uuid(self.aggregate_id, "filter.aggregateId")) if self.aggregate_id else None,
            aggregate_type=self.aggregate_type, event_type=self.event_type, actor_id=self.actor_id,
            city_id=str(aggregate_uuid(self.city_id, "filter.cityId")) if self.city_id else None,
            since=self.since, until=self.until,
        )


@strawberry.type(description="A record as it was, computed from its events.")
class Snapshot:
    aggregate_id: strawberry.ID = strawberry.field(description="The record's global id.")
    aggregate_type: str
    version: int
    recorded_at: datetime = strawberry.field(description="When the event that produced this version was stored.")
    state: JSON


@strawberry.type(description="The newest link of the hash chain; record it elsewhere to detect rewrites.")
class AuditHead:
    position: Position  # type: ignore[valid-type]
    hash: str


@strawberry.type
class AuditQuery:
    @strawberry.field(description="All events in global order, filtered; cursor pagination.")
    async def events(self, info: Info, first: int | None = None, after: str | None = None,
                     filter: EventFilter | None = None) -> Connection[AuditEvent]:
        _require_history(info)
        page = await info.context.services.reads.events_page(first, after, (filter or EventFilter()).to_criteria())
        return to_connection(page, AuditEvent.from_row)

    @strawberry.field(description="The full history of one record, oldest first; null if there is no such record.")
    async def aggregate_history(self, info: Info, id: strawberry.ID) -> list[AuditEvent] | None:
        _require_history(info)
        rows = await info.context.services.reads.history_of(str(aggregate_uuid(id, "id")))
        return [AuditEvent.from_row(r) for r in rows] if rows else None

    @strawberry.field(description="A network, workshop, plan (any record) as it was at a version or a moment; "
                                  "null if there is no such record.")
    async def as_of(self, info: Info, id: strawberry.ID, version: int | None = None,
                    at: datetime | None = None) -> Snapshot | None:
        _require_history(info)
        aggregate_id = aggregate_uuid(id, "id")
        if version is None and at is None:
            raise InvalidInput("at", "give a version or a moment")
        try:
            snap = await anyio.to_thread.run_sync(lambda: as_of(info.context.services.app, aggregate_id, version, at))
        except NotFound:
            return None
        return Snapshot(aggregate_id=record_id(snap.aggregate_type, str(snap.aggregate_id)),
                        aggregate_type=snap.aggregate_type, version=snap.version,
                        recorded_at=snap.recorded_at, state=snap.state)

    @strawberry.field(description="The head of the tamper-evident hash chain.")
    async def audit_head(self, info: Info) -> AuditHead:
        _require_history(info)
        position, link = await anyio.to_thread.run_sync(audit_chain.head, info.context.services.sync_engine)
        return AuditHead(position=position, hash=link)
