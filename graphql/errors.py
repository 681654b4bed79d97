"""Typed errors that mutations return (never raise) for expected failures."""

from __future__ import annotations

import strawberry

from citynet.domain import errors as domain
from citynet.graphql.ids import to_global_id
from citynet.services.errors import Conflict as ConflictError


@strawberry.interface(description="A refusal: the command stored nothing.")
class UserError:
    message: str


@strawberry.type(description="A value is malformed or breaks a rule; `field` names the input field.")
class InvalidInput(UserError):
    message: str
    field: str


@strawberry.type(description="A referenced record does not exist.")
class NotFound(UserError):
    message: str
    field: str
    id: strawberry.ID | None


@strawberry.type(description="A record with the same identity already exists.")
class AlreadyExists(UserError):
    message: str
    existing_id: strawberry.ID | None


@strawberry.type(description="The city already belongs to the network.")
class AlreadyMember(UserError):
    message: str
    network_id: strawberry.ID
    city_id: strawberry.ID


@strawberry.type(description="The city does not belong to the network.")
class NotAMember(UserError):
    message: str
    network_id: strawberry.ID
    city_id: strawberry.ID


@strawberry.type(description="Concurrent changes kept colliding; nothing was stored, retry.")
class Conflict(UserError):
    message: str


ERROR_TYPES = (InvalidInput, NotFound, AlreadyExists, AlreadyMember, NotAMember, Conflict)


def _global(kind: str, id: object) -> strawberry.ID | None:
    return to_global_id(kind, str(id)) if kind in ("City", "Network") else None


def to_user_error(error: domain.DomainError) -> UserError:
    if isinstance(error, domain.InvalidInput):
        return InvalidInput(message=error.message, field=error.field)
    if isinstance(error, domain.NotFound):
        return NotFound(message=error.message, field=error.field or "id", id=_global(error.kind, error.id))
    if isinstance(error, domain.AlreadyExists):
        return AlreadyExists(message=error.message, existing_id=_global(error.kind, error.id))
    if isinstance(error, domain.AlreadyMember):
        return AlreadyMember(message=error.message, network_id=to_global_id("Network", error.network_id),
                             city_id=to_global_id("City", error.city_id))
    if isinstance(error, domain.NotAMember):
        return NotAMember(message=error.message, network_id=to_global_id("Network", error.network_id),
                          city_id=to_global_id("City", error.city_id))
    if isinstance(error, ConflictError):
        return Conflict(message=error.message)
    raise TypeError(f"no GraphQL error type for {type(error).__name__}")  # pragma: no cover
