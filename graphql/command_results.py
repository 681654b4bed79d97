"""What every mutation shares: the idempotency key, the committed payload, the result union, dispatch.

A resolver builds a command (services/commands) from its input, hands it to
the command bus and turns the outcome into its payload: nothing more.

Payloads implement ``MutationPayload``: the global id of the record the
command created or changed and the position of its last event are always
there, taken from the commit itself. The records the payload shows (``city``,
``workshop``, ...) come from the read models after a bounded wait; they are
null only when the read models have not caught up (``readModelCurrent`` is
then false). A lagging or failing projection therefore never turns a
committed command into an error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar, Union

import strawberry

from citynet.domain.errors import DomainError
from citynet.graphql.context import Info
from citynet.graphql.errors import GRAPHQL_ERROR, to_user_error
from citynet.graphql.types import Position
from citynet.services.commands.base import Command
from citynet.services.commands.bus import Outcome

log = logging.getLogger(__name__)

T = TypeVar("T")


@strawberry.input
class MutationInput:
    client_mutation_id: str | None = strawberry.field(
        default=None,
        description="Idempotency key (1-200 printable ASCII characters, e.g. a UUID). Sending the same key again, "
                    "as the same caller, returns the first result and stores nothing new; with a different input "
                    "it is refused (IdempotencyKeyReused).",
    )


@strawberry.interface(description="A committed command. Its fields never depend on the read models.")
class MutationPayload:
    id: strawberry.ID = strawberry.field(description="Global id of the record the command created or changed.")
    position: Position = strawberry.field(  # type: ignore[valid-type]
        description="Position of the command's last event; send it as X-Citynet-Min-Position to read your write.")
    client_mutation_id: str | None = strawberry.field(description="The idempotency key sent, if any.")
    replayed: bool = strawberry.field(
        description="True when answered from an earlier request with the same clientMutationId (nothing stored).")
    read_model_current: bool = strawberry.field(
        description="Whether the read models included this position when answering; when false the record "
                    "fields may be null or older: read again with X-Citynet-Min-Position.")


def committed(outcome: Outcome, input: Any, gid: strawberry.ID) -> dict[str, Any]:
    """The ``MutationPayload`` fields of a payload."""
    return dict(id=gid, position=outcome.position, client_mutation_id=getattr(input, "client_mutation_id", None),
                replayed=outcome.replayed, read_model_current=outcome.current)


def result_union(name: str, payload: type, command: type[Command]) -> Any:
    """The mutation's result: its payload, or exactly the errors its command declares."""
    members = (payload, *(GRAPHQL_ERROR[e] for e in command.errors()))
    return Annotated[Union[members], strawberry.union(name)]  # type: ignore[valid-type]


class OnDemand:
    """A record a payload shows, read from the read models only when the client selected it (a mutation
    answered with ``{ __typename }`` or only ``position`` reads nothing). graphql-core awaits it when the
    field is resolved; each resolution reads anew (through the request's DataLoaders)."""

    __slots__ = ("_read",)

    def __init__(self, read: Callable[[], Awaitable[Any]]) -> None:
        self._read = read

    def __await__(self) -> Any:
        return self._read().__await__()


async def maybe(load: Awaitable[T | None]) -> T | None:
    """A record for a payload: None when the read model lags or cannot be read."""
    try:
        return await load
    except Exception:
        log.warning("read model unavailable while answering a committed mutation", exc_info=True)
        return None


async def dispatch(info: Info, input: Any, make: Callable[[], Command], answer: Callable[[Outcome], Awaitable[Any]]) -> Any:
    """Decode the input into a command, run it on the bus, answer its payload or its typed error."""
    try:
        command = make()
        outcome = await info.context.services.bus.handle(
            command, actor=info.context.actor, idempotency_key=getattr(input, "client_mutation_id", None))
    except DomainError as error:
        return to_user_error(error, input)
    return await answer(outcome)
