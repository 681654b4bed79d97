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


@strawberry.type(description="The workshop's status does not allow this step.")
class InvalidTransition(UserError):
    message: str
    status: str
    action: str


@strawberry.type(description="Registration is closed: the workshop is not scheduled or confirmed.")
class RegistrationClosed(UserError):
    message: str
    status: str


@strawberry.type(description="The city is not a partner of the workshop, plan or protocol (documentId).")
class NotAPartner(UserError):
    message: str
    field: str
    document_id: strawberry.ID
    city_id: strawberry.ID


@strawberry.type(description="Refused because of another workshop on overlapping days, named here.")
class DateConflict(UserError):
    message: str
    conflicting_workshop_id: strawberry.ID | None = strawberry.field(
        description="The other workshop; null when the caller may not see who is registered there.")
    affected_registration_ids: list[strawberry.ID] = strawberry.field(
        description="Registrations of this workshop that clash (a reschedule); empty otherwise.")


@strawberry.type(description="Another session in the same room or track overlaps this one.")
class SessionOverlap(UserError):
    message: str
    session_id: strawberry.ID
    room: str


@strawberry.type(description="The delegate already has a registration (or waitlist place) for this workshop.")
class AlreadyRegistered(UserError):
    message: str
    registration_id: strawberry.ID


@strawberry.type(description="More delegates are registered than the new capacity; say what happens to the excess.")
class CapacityBelowRegistered(UserError):
    message: str
    capacity: int
    registered: int


@strawberry.type(description="A proposed or adopted version cannot be edited in place: start a revision.")
class VersionFrozen(UserError):
    message: str
    version: int
    status: str


@strawberry.type(description="The version is not open for this step: superseded, adopted, rejected or a draft.")
class VersionSuperseded(UserError):
    message: str
    version: int
    current_version: int


@strawberry.type(description="The city already endorsed or declined this exact version.")
class AlreadyEndorsed(UserError):
    message: str
    version: int
    city_id: strawberry.ID
    decision: str


@strawberry.type(description="The caller lacks a permission (named); nothing was stored.")
class NotAllowed(UserError):
    message: str
    permission: str


ERROR_TYPES = (
    NotAllowed, VersionFrozen, VersionSuperseded, AlreadyEndorsed,
    InvalidInput, NotFound, AlreadyExists, AlreadyMember, NotAMember, Conflict, InvalidTransition,
    RegistrationClosed, NotAPartner, DateConflict, SessionOverlap, AlreadyRegistered, CapacityBelowRegistered,
)


def _global(kind: str, id: object) -> strawberry.ID | None:
    return to_global_id(kind, str(id)) if kind in ("City", "Network", "Workshop") else None


def to_user_error(error: domain.DomainError) -> UserError:
    if isinstance(error, domain.InvalidInput):
        return InvalidInput(message=error.message, field=error.field)
    if isinstance(error, domain.NotAllowed):
        return NotAllowed(message=error.message, permission=error.permission)
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
    if isinstance(error, domain.InvalidTransition):
        return InvalidTransition(message=error.message, status=error.status, action=error.action)
    if isinstance(error, domain.RegistrationClosed):
        return RegistrationClosed(message=error.message, status=error.status)
    if isinstance(error, domain.NotAPartner):
        return NotAPartner(message=error.message, field=error.field,
                           document_id=to_global_id(error.kind, error.document_id),
                           city_id=to_global_id("City", error.city_id))
    if isinstance(error, domain.DateConflict):
        other = error.conflicting_workshop_id
        return DateConflict(message=error.message,
                            conflicting_workshop_id=to_global_id("Workshop", other) if other else None,
                            affected_registration_ids=[to_global_id("Registration", str(error.workshop_id), str(r))
                                                       for r in error.registration_ids])
    if isinstance(error, domain.SessionOverlap):
        return SessionOverlap(message=error.message, session_id=to_global_id("Session", error.workshop_id, error.session_id), room=error.room)
    if isinstance(error, domain.AlreadyRegistered):
        return AlreadyRegistered(message=error.message, registration_id=to_global_id("Registration", error.workshop_id, error.registration_id))
    if isinstance(error, domain.VersionFrozen):
        return VersionFrozen(message=error.message, version=error.version, status=error.status)
    if isinstance(error, domain.VersionSuperseded):
        return VersionSuperseded(message=error.message, version=error.version, current_version=error.current)
    if isinstance(error, domain.AlreadyEndorsed):
        return AlreadyEndorsed(message=error.message, version=error.version,
                               city_id=to_global_id("City", error.city_id), decision=error.decision)
    if isinstance(error, domain.CapacityBelowRegistered):
        return CapacityBelowRegistered(message=error.message, capacity=error.capacity, registered=error.registered)
    raise TypeError(f"no GraphQL error type for {type(error).__name__}")  # pragma: no cover
