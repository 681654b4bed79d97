"""Subscription root: live updates of a workshop, its registrations, a network, a plan or protocol,
and the auditors' event tail. Each message names the event that caused it (``position``,
``eventType``) and carries the object as the read models show it once that event is in.

Who may follow what is decided in services/live_access.py (the same rules as the queries); the
fan-out is services/live.py. ``after`` resumes: what was missed since that position first, then live.
"""

from __future__ import annotations

import asyncio
import weakref
from contextlib import aclosing
from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

import strawberry

from citynet.domain.errors import NotFound
from citynet.graphql.agreement_types import ActionPlan, Protocol
from citynet.graphql.audit import AuditEvent, EventFilter
from citynet.graphql.context import Info
from citynet.graphql.execution import RENDER_KEY
from citynet.graphql.ids import from_global_id
from citynet.graphql.loaders import Loaders
from citynet.graphql.types import Network, Position
from citynet.graphql.workshop_types import Registration, Workshop
from citynet.services import authz, live_access
from citynet.services.live import SlowConsumer, live_feed, matches
from citynet.services.readmodel.audit_queries import EventRow
from citynet.services.readmodel.visibility import VisibleReads

T = TypeVar("T")

SLOW_CONSUMER_CLOSE_CODE = 1013  # RFC 6455 "Try Again Later": reconnect and resume with `after`


def _visible(info: Info) -> VisibleReads:
    services = info.context.services
    return VisibleReads(services.reads, info.context.actor, services.clock)


def _fresh(info: Info) -> Any:
    """New DataLoaders for each message: a loader's cache must not outlive the event it renders."""
    info.context.loaders = Loaders(_visible(info))
    return info.context.load


# Per read model, per visibility (callers shown exactly the same rows): the loaders of the newest event,
# with the read models' versions they were made at.
_shared: weakref.WeakKeyDictionary[Any, dict[tuple[str, ...], tuple[int, Any, Loaders]]] = weakref.WeakKeyDictionary()


def _at(info: Info, position: int) -> Any:
    """DataLoaders shared by every subscriber with the same visibility rendering the event at ``position``
    while the read models stay as they are: made after the read models include it, they hold rows as of
    then, and 500 subscribers of one workshop cost one batched read instead of 500. Once any read model
    moves on (another write, an erasure, a translation), later renders read afresh."""
    services = info.context.services
    by_visibility = _shared.setdefault(services.reads, {})
    key = authz.visibility_key(info.context.actor)
    versions = services.projections.board.versions()
    cached = by_visibility.get(key)
    if cached is not None and position < cached[0]:
        # An older event (a catch-up): never hand out loaders older than the newest ones, since the
        # context (and so the loaders) is shared by every operation on the connection.
        return _fresh(info)
    if cached is None or cached[0] != position or cached[1] != versions:
        cached = by_visibility[key] = (position, versions, Loaders(_visible(info)))
    info.context.loaders = cached[2]
    return cached[2]


def _on_overflow(info: Info) -> Callable[[SlowConsumer], None] | None:
    stream = getattr(info.context, "live_stream", None)
    if stream is not None:  # Server-Sent Events: the stream ends (infra/live_http.py)
        return stream.on_overflow  # type: ignore[no-any-return]
    websocket = getattr(info.context, "websocket", None)
    if websocket is None:
        return None  # the generator raises SlowConsumer

    def close(error: SlowConsumer) -> None:
        # The consumer's task may be stuck sending: close the socket from outside it.
        asyncio.get_running_loop().create_task(
            websocket.close(code=SLOW_CONSUMER_CLOSE_CODE, reason=str(error)[:120]))

    return close


def _shown(update: T, info: Info, kind: str, key: str, position: int) -> T:
    """Mark an update with what decides how it is shown: subscribers with the same mark (and operation
    text and variables) share one execution of their selection (graphql/execution.py)."""
    # The loaders (one snapshot of the read models, above) are part of the key: a later render of the
    # same event after the read models moved on (a catch-up, an erasure, a translation) is its own.
    setattr(update, RENDER_KEY, (kind, key, position, getattr(update, "skipped_events", 0), info.context.loaders,
                                 authz.visibility_key(info.context.actor), tuple(info.context.languages)))
    return update


def _events(info: Info, keys: frozenset[str] | None, after: int | None,
            accept: Callable[[EventRow], bool] = lambda _r: True) -> Any:
    return live_feed(info.context.services).events(keys, after, accept, _on_overflow(info))


class _Skipped:
    """Missed events a resume does not deliver one by one, told on the first message that is sent."""

    def __init__(self, count: int) -> None:
        self.count = count

    def take(self) -> int:
        count, self.count = self.count, 0
        return count


async def _object_events(info: Info, key: str, after: int | None) -> AsyncGenerator[tuple[EventRow, _Skipped], None]:
    """One object's events: on a resume, the newest CITYNET_LIVE_MAX_REPLAY missed ones, then live ones.

    Each replayed message is charged to the caller's request budget (the rate limit that queries and
    subscribe messages draw on): a review made one anonymous caller cost 44 s of CPU in 70 s with
    resumes from 0 on many subscriptions. Past the budget a resume sends only the newest state."""
    feed, keys = live_feed(info.context.services), frozenset({key})
    limit = None
    budget = getattr(info.context, "live_budget", None)
    if after is not None and budget is not None:
        wanted = await feed.missed(keys, after)
        if wanted > 1:  # the first message was paid for by the subscribe itself
            limit = 1 + await budget.take_up_to(wanted - 1)
    start, skipped = await feed.replay_from(keys, after, limit)
    untold = _Skipped(skipped)
    async with aclosing(_events(info, frozenset({key}), start)) as stream:
        async for event in stream:
            yield event, untold


@strawberry.type(description="A workshop after one of its events.")
class WorkshopUpdate:
    position: Position  # type: ignore[valid-type]
    event_type: str
    workshop: Workshop
    skipped_events: int = strawberry.field(description=(
        "How many earlier events of this object a resume did not deliver one by one: more than "
        "CITYNET_LIVE_MAX_REPLAY (default 50) were missed since `after`. Every message shows the object as "
        "it is after its event, so their effect is in this one. 0 on every other message."))


@strawberry.type(description="A workshop's registrations after one of its events (waitlist positions are the "
                             "workshop's; a city representative receives their own city's registrations only).")
class RegistrationsUpdate:
    position: Position  # type: ignore[valid-type]
    event_type: str
    registrations: list[Registration]
    skipped_events: int = strawberry.field(description=(
        "How many earlier events of this object a resume did not deliver one by one: more than "
        "CITYNET_LIVE_MAX_REPLAY (default 50) were missed since `after`. Every message shows the object as "
        "it is after its event, so their effect is in this one. 0 on every other message."))


@strawberry.type(description="A network (members, roles, commissions) after one of its events.")
class NetworkUpdate:
    position: Position  # type: ignore[valid-type]
    event_type: str
    network: Network
    skipped_events: int = strawberry.field(description=(
        "How many earlier events of this object a resume did not deliver one by one: more than "
        "CITYNET_LIVE_MAX_REPLAY (default 50) were missed since `after`. Every message shows the object as "
        "it is after its event, so their effect is in this one. 0 on every other message."))


@strawberry.type(description="An action plan (versions, endorsements, adoption, progress) after one of its events.")
class ActionPlanUpdate:
    position: Position  # type: ignore[valid-type]
    event_type: str
    action_plan: ActionPlan
    skipped_events: int = strawberry.field(description=(
        "How many earlier events of this object a resume did not deliver one by one: more than "
        "CITYNET_LIVE_MAX_REPLAY (default 50) were missed since `after`. Every message shows the object as "
        "it is after its event, so their effect is in this one. 0 on every other message."))


@strawberry.type(description="A protocol (versions, endorsements, adoption) after one of its events.")
class ProtocolUpdate:
    position: Position  # type: ignore[valid-type]
    event_type: str
    protocol: Protocol
    skipped_events: int = strawberry.field(description=(
        "How many earlier events of this object a resume did not deliver one by one: more than "
        "CITYNET_LIVE_MAX_REPLAY (default 50) were missed since `after`. Every message shows the object as "
        "it is after its event, so their effect is in this one. 0 on every other message."))


AFTER = strawberry.argument(description="Resume: first the updates after this position (an object's newest "
                                        "CITYNET_LIVE_MAX_REPLAY, default 50), then live ones.")


@strawberry.type
class Subscription:
    @strawberry.subscription(description="A workshop as it changes: status, dates, agenda, free places, poll answers.")
    async def workshop(self, info: Info, id: strawberry.ID,
                       after: Position | None = None,  # type: ignore[valid-type]
                       ) -> AsyncGenerator[WorkshopUpdate, None]:
        (workshop_id,) = from_global_id(id, "Workshop", "id")
        key, actor = str(workshop_id), info.context.actor
        row = await _fresh(info).workshops.workshop.load(key)
        if row is None or not live_access.workshop_visible(actor, row.status):
            raise NotFound("Workshop", id, "id")
        async with aclosing(_object_events(info, key, after)) as stream:
            async for event, skipped in stream:
                row = await _at(info, event.position).workshops.workshop.load(key)
                if row is not None and live_access.workshop_visible(actor, row.status):
                    yield _shown(WorkshopUpdate(position=event.position, event_type=event.event_type,
                                                workshop=Workshop.from_row(row), skipped_events=skipped.take()),
                                 info, "workshop", key, event.position)

    @strawberry.subscription(description="A workshop's registrations and waitlist as they change, promotions "
                                         "included: its coordinators see all, a city representative their city's.")
    async def workshop_registrations(self, info: Info, workshop_id: strawberry.ID,
                                     after: Position | None = None,  # type: ignore[valid-type]
                                     ) -> AsyncGenerator[RegistrationsUpdate, None]:
        (uuid,) = from_global_id(workshop_id, "Workshop", "workshopId")
        key, actor = str(uuid), info.context.actor
        load = _fresh(info)
        if await load.workshops.workshop.load(key) is None:
            raise NotFound("Workshop", workshop_id, "workshopId")
        city = live_access.registrations_scope(actor, await load.workshops.network_ids.load(key))
        async with aclosing(_object_events(info, key, after)) as stream:
            async for event, skipped in stream:
                rows = await _at(info, event.position).workshops.registrations.load(key)
                shown = [Registration.from_row(r) for r in rows if city is None or r.city_id == city]
                yield _shown(RegistrationsUpdate(position=event.position, event_type=event.event_type,
                                                 registrations=shown, skipped_events=skipped.take()),
                             info, "registrations", key, event.position)

    @strawberry.subscription(description="A network as it changes: members, roles, commissions.")
    async def network(self, info: Info, id: strawberry.ID,
                      after: Position | None = None,  # type: ignore[valid-type]
                      ) -> AsyncGenerator[NetworkUpdate, None]:
        (network_id,) = from_global_id(id, "Network", "id")
        key = str(network_id)
        if await _fresh(info).network.load(key) is None:
            raise NotFound("Network", id, "id")
        async with aclosing(_object_events(info, key, after)) as stream:
            async for event, skipped in stream:
                row = await _at(info, event.position).network.load(key)
                if row is not None:
                    yield _shown(NetworkUpdate(position=event.position, event_type=event.event_type,
                                               network=Network.from_row(row), skipped_events=skipped.take()),
                                 info, "network", key, event.position)

    @strawberry.subscription(description="An action plan as it changes: versions, endorsements, adoption, progress.")
    async def action_plan(self, info: Info, id: strawberry.ID,
                          after: Position | None = None,  # type: ignore[valid-type]
                          ) -> AsyncGenerator[ActionPlanUpdate, None]:
        async with aclosing(_agreement(info, id, "ActionPlan", "plan", after)) as stream:
            async for event, row, skipped in stream:
                yield _shown(ActionPlanUpdate(position=event.position, event_type=event.event_type,
                                              action_plan=ActionPlan.from_row(row), skipped_events=skipped.take()),
                             info, "plan", row.id, event.position)

    @strawberry.subscription(description="A joint crisis protocol as it changes: versions, endorsements, adoption.")
    async def protocol(self, info: Info, id: strawberry.ID,
                       after: Position | None = None,  # type: ignore[valid-type]
                       ) -> AsyncGenerator[ProtocolUpdate, None]:
        async with aclosing(_agreement(info, id, "Protocol", "protocol", after)) as stream:
            async for event, row, skipped in stream:
                yield _shown(ProtocolUpdate(position=event.position, event_type=event.event_type,
                                            protocol=Protocol.from_row(row), skipped_events=skipped.take()),
                             info, "protocol", row.id, event.position)

    @strawberry.subscription(description="Auditors: the event history as it grows, with the `events` query's "
                                         "filters; each event once, in position order.")
    async def events(self, info: Info, filter: EventFilter | None = None,
                     after: Position | None = None,  # type: ignore[valid-type]
                     ) -> AsyncGenerator[AuditEvent, None]:
        live_access.require_history(info.context.actor)
        criteria = (filter or EventFilter()).to_criteria()
        criteria.conditions()  # validates the filter as the query does
        keys = frozenset({criteria.aggregate_id}) if criteria.aggregate_id else None
        async with aclosing(_events(info, keys, after, lambda r: matches(criteria, r))) as stream:
            async for event in stream:
                yield AuditEvent.from_row(event)


async def _agreement(info: Info, id: strawberry.ID, type_name: str, kind: str,
                     after: int | None) -> AsyncGenerator[tuple[EventRow, Any, _Skipped], None]:
    (uuid,) = from_global_id(id, type_name, "id")
    key, actor = str(uuid), info.context.actor
    row = await _fresh(info).agreements.agreement.load(key)
    if row is None or row.kind != kind or not live_access.agreement_visible(actor, row.adopted_version):
        raise NotFound(type_name, id, "id")
    async with aclosing(_object_events(info, key, after)) as stream:
        async for event, skipped in stream:
            row = await _at(info, event.position).agreements.agreement.load(key)
            if row is not None and live_access.agreement_visible(actor, row.adopted_version):
                yield event, row, skipped
