"""Who caused each event, through which request and command.

eventsourcing 9.5 has no event metadata, so the application's mapper adds a
``_meta`` object to every event's stored state as it is written: inside the
stored bytes, so it is as permanent and as covered by the hash chain as the
event itself. The values come from context variables that the API (per
request) and the CLI (per run) set before calling the service layer; worker
threads inherit them with the context.

Causation: the first event a command stores is caused by the command (its
correlation id); every further event of that command cites the first one
("originator-id:version"), e.g. a waitlist promotion caused by a withdrawal.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic


@dataclass(frozen=True)
class Actor:
    """Who acts: a role, and the city or networks it acts for (see services/authz.py)."""

    id: str
    role: str
    city_id: str | None = None
    network_ids: tuple[str, ...] = ()


SYSTEM = Actor("system", "system")  # the CLI and the demo loader: trusted operators
ANONYMOUS = Actor("anonymous", "anonymous")


@dataclass
class CommandContext:
    actor: Actor = SYSTEM
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    command: str = "unknown"
    first_event: str | None = None  # set while a command's events are written


_context: ContextVar[CommandContext | None] = ContextVar("citynet_command", default=None)


def current() -> CommandContext:
    return _context.get() or CommandContext()


@contextlib.contextmanager
def acting(actor: Actor, command: str, correlation_id: str | None = None) -> Iterator[CommandContext]:
    ctx = CommandContext(actor=actor, command=command, correlation_id=correlation_id or str(uuid.uuid4()))
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


def set_request(actor: Actor, correlation_id: str) -> None:
    """Bind the request's actor and id for the rest of this context (the API does this per request)."""
    _context.set(CommandContext(actor=actor, correlation_id=correlation_id))


def set_actor(actor: Actor) -> None:
    """Once the request's credentials are checked, the actor it acts as."""
    ctx = _context.get()
    if ctx is None:
        _context.set(CommandContext(actor=actor))
    else:
        ctx.actor = actor


def name_command(command: str) -> None:
    ctx = _context.get()
    if ctx is None:
        _context.set(CommandContext(command=command))
    else:
        ctx.command = command


def begin_save() -> None:
    current_ctx = _context.get()
    if current_ctx is not None:
        current_ctx.first_event = None


def metadata_for(originator_id: Any, originator_version: int) -> dict[str, Any]:
    ctx = _context.get() or CommandContext()
    me = f"{originator_id}:{originator_version}"
    if ctx.first_event is None:
        ctx.first_event = me
        causation = ctx.correlation_id
    else:
        causation = ctx.first_event
    actor = asdict(ctx.actor)
    actor["network_ids"] = list(actor["network_ids"])
    return {
        "actor": actor,
        "correlation_id": ctx.correlation_id,
        "causation_id": causation,
        "command": ctx.command,
    }


class AttributingMapper(Mapper):
    """The library's mapper, plus ``_meta`` in every stored state."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        event_state = dict(vars(domain_event))
        event_state.pop("_meta", None)
        originator_id = event_state.pop("originator_id")
        originator_version = event_state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            event_state["class_version"] = class_version
        event_state["_meta"] = metadata_for(originator_id, originator_version)
        stored_state = self.transcoder.encode(event_state)
        if self.compressor:
            stored_state = self.compressor.compress(stored_state)
        if self.cipher:
            stored_state = self.cipher.encrypt(stored_state)
        return StoredEvent(originator_id=originator_id, originator_version=originator_version,
                           topic=get_topic(domain_event.__class__), state=stored_state)
