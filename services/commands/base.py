"""What every command is: a frozen dataclass that names the errors it can end with.

A command holds plain values (UUIDs, dates, strings, enums), never GraphQL or
HTTP objects. Ids of records a command creates are chosen by whoever builds
the command (``generated`` fields): the result is then known before the
command runs, and a repeated request (same idempotency key) can be answered
from its receipt. Those fields are left out of the fingerprint that tells
whether a repeated key carries the same request.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from citynet.domain.errors import DomainError, InvalidInput, NotAllowed
from citynet.services.errors import IdempotencyKeyReused

if TYPE_CHECKING:
    from citynet.services.application import Recorded
    from citynet.services.runtime import Citynet

C = TypeVar("C", bound="Command")

# Any command can be refused for its caller's role, for a malformed value and
# for a reused idempotency key.
ALWAYS: tuple[type[DomainError], ...] = (NotAllowed, InvalidInput, IdempotencyKeyReused)


def new_id() -> Any:
    """A field for the id of a record the command creates (excluded from the fingerprint)."""
    return dataclasses.field(default_factory=uuid4, metadata={"generated": True})


@dataclasses.dataclass(frozen=True)
class Command:
    raises: ClassVar[tuple[type[DomainError], ...]] = ()
    """The errors, beyond ``ALWAYS``, that this command can end with. Each
    mutation's GraphQL result union is exactly the payload plus these."""

    @classmethod
    def command_name(cls) -> str:
        """The mutation's name, as attribution records it (``RegisterCity`` -> ``registerCity``)."""
        return cls.__name__[0].lower() + cls.__name__[1:]

    @classmethod
    def errors(cls) -> tuple[type[DomainError], ...]:
        return ALWAYS + tuple(e for e in cls.raises if e not in ALWAYS)

    def result_id(self) -> UUID | None:
        """The id the result will carry, when it is known before running (else the first saved record's)."""
        return None

    def fingerprint(self) -> str:
        """A digest of what the caller asked for (generated ids left out)."""
        values = {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)
                  if not f.metadata.get("generated")}
        blob = json.dumps([self.command_name(), values], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (UUID, date, datetime)):
        return value.isoformat() if not isinstance(value, UUID) else str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return value


Handler = Callable[["Citynet", Any], "Recorded"]
HANDLERS: dict[type[Command], Handler] = {}


def handles(command: type[C]) -> Callable[[Callable[[Citynet, C], Recorded]], Callable[[Citynet, C], Recorded]]:
    """Register the one handler of a command class."""

    def register(handler: Callable[[Citynet, C], Recorded]) -> Callable[[Citynet, C], Recorded]:
        assert command not in HANDLERS, f"{command.__name__} already has a handler"
        HANDLERS[command] = handler
        return handler

    return register


__all__ = ["ALWAYS", "Command", "HANDLERS", "handles", "new_id"]
