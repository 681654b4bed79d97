"""Typed errors that mutations return (never raise) for expected failures.

One style for all of them: enum values as the schema's enums, records named
by global id (the one the client sent, when it sent one) or by name, never by
an internal UUID; a missing record is always ``NotFound`` naming the input
field and the id. ``GRAPHQL_ERROR`` maps each service-layer error class to its
GraphQL type: a mutation's result union is built from what its command
declares (graphql/command_results.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any
from uuid import UUID

import strawberry

from citynet.domain import errors as domain
from citynet.domain.agreement import Decision as DomainDecision
from citynet.domain.agreement import VersionStatus as DomainVersionStatus
from citynet.domain.project import ProjectStatus as DomainProjectStatus
from citynet.domain.workshop_values import WorkshopStatus as DomainWorkshopStatus
from citynet.graphql.agreement_types import Decision, VersionStatus
from citynet.graphql.ids import decode_any, to_global_id
from citynet.graphql.project_types import ProjectStatus
from citynet.graphql.workshop_types import WorkshopStatus
from citynet.services import errors as service


@strawberry.interface(description="A refusal: the command stored nothing.")
class UserError:
    message: str


@strawberry.type(description="A value is malformed or breaks a rule; `field` names the input field.")
class InvalidInput(UserError):
    message: str
    field: str


@strawberry.type(description="A referenced record does not exist: `field` names the input field, `id` the id sent.")
class NotFound(UserError):
    message: str
    field: str
    id: strawberry.ID


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


@strawberry.type(description="The idempotency key (clientMutationId) was used before, by this caller, for a "
                             "different request; nothing was stored.")
class IdempotencyKeyReused(UserError):
    message: str
    # Typed as on MutationPayload (nullable) so that one selection can ask both; always set here.
    client_mutation_id: str | None
    first_mutation: str


@strawberry.type(description="The workshop's status does not allow this step.")
class InvalidTransition(UserError):
    message: str
    status: WorkshopStatus  # type: ignore[valid-type]
    action: str


@strawberry.type(description="The plan or protocol version's status does not allow this step.")
class InvalidVersionTransition(UserError):
    message: str
    status: VersionStatus  # type: ignore[valid-type]
    action: str


@strawberry.type(description="Registration is closed: the workshop is not scheduled or confirmed.")
class RegistrationClosed(UserError):
    message: str
    status: WorkshopStatus  # type: ignore[valid-type]


@strawberry.type(description="The party is not a partner of the workshop, plan, protocol or declaration "
                              "(documentId).")
class NotAPartner(UserError):
    message: str
    field: str
    document_id: strawberry.ID
    city_id: strawberry.ID = strawberry.field(
        description="The party that is not a partner: a City id; for plans, protocols and declarations also a "
                    "Network, Commission or Organisation id (the field keeps its first name).")


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


@strawberry.type(description="Only an adopted plan is carried out: this plan has no adopted version yet.")
class PlanNotAdopted(UserError):
    message: str
    plan_id: strawberry.ID


@strawberry.type(description="A proposed or adopted version cannot be edited in place: start a revision.")
class VersionFrozen(UserError):
    message: str
    version: int
    status: VersionStatus  # type: ignore[valid-type]


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
    decision: Decision  # type: ignore[valid-type]


@strawberry.type(description="The party is already a partner of the project for (part of) that period.")
class AlreadyPartner(UserError):
    message: str
    project_id: strawberry.ID
    partner_id: strawberry.ID
    since: date
    until: date | None


@strawberry.type(description="The party is not a partner of the project (on the day concerned); `field` names "
                              "the input field.")
class NotAProjectPartner(UserError):
    message: str
    field: str
    project_id: strawberry.ID
    partner_id: strawberry.ID


@strawberry.type(description="The gathering, plan or protocol already belongs to a project (`projectId`).")
class AlreadyAttached(UserError):
    message: str
    output_id: strawberry.ID
    project_id: strawberry.ID


@strawberry.type(description="The project's status does not allow this step.")
class InvalidProjectTransition(UserError):
    message: str
    status: ProjectStatus  # type: ignore[valid-type]
    action: str


@strawberry.type(description="The caller lacks a permission (named); nothing was stored.")
class NotAllowed(UserError):
    message: str
    permission: str


# Order matters for isinstance: subclasses before their bases (none today).
GRAPHQL_ERROR: dict[type[domain.DomainError], type] = {
    domain.NotAllowed: NotAllowed,
    domain.InvalidInput: InvalidInput,
    service.IdempotencyKeyReused: IdempotencyKeyReused,
    domain.NotFound: NotFound,
    domain.AlreadyExists: AlreadyExists,
    domain.AlreadyMember: AlreadyMember,
    domain.NotAMember: NotAMember,
    service.Conflict: Conflict,
    domain.InvalidTransition: InvalidTransition,
    service.InvalidVersionTransition: InvalidVersionTransition,
    domain.RegistrationClosed: RegistrationClosed,
    domain.NotAPartner: NotAPartner,
    domain.DateConflict: DateConflict,
    domain.SessionOverlap: SessionOverlap,
    domain.AlreadyRegistered: AlreadyRegistered,
    domain.CapacityBelowRegistered: CapacityBelowRegistered,
    domain.VersionFrozen: VersionFrozen,
    domain.PlanNotAdopted: PlanNotAdopted,
    domain.VersionSuperseded: VersionSuperseded,
    domain.AlreadyEndorsed: AlreadyEndorsed,
    domain.AlreadyPartner: AlreadyPartner,
    domain.NotAProjectPartner: NotAProjectPartner,
    domain.AlreadyAttached: AlreadyAttached,
    domain.InvalidProjectTransition: InvalidProjectTransition,
}

ERROR_TYPES = tuple(GRAPHQL_ERROR.values())

# Records whose global id wraps one UUID: the id can be rebuilt from the error alone.
_SINGLE = ("City", "Network", "Organisation", "Workshop", "ActionPlan", "Protocol", "Declaration", "Person",
           "Project")
_OUTPUT_TYPES = {"gathering": "Workshop", "action_plan": "ActionPlan", "protocol": "Protocol"}
_PARTY_TYPES = {"city": "City", "network": "Network", "commission": "Commission", "organisation": "Organisation"}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name))


class Namer:
    """Names records in messages as the client knows them: by the global id it sent."""

    def __init__(self, sent: Any = None) -> None:
        self.sent = sent

    def id(self, kind: str, uuid: UUID | str, *parents: UUID | str) -> strawberry.ID:
        for value in _strings(self.sent):
            decoded = decode_any(value)
            if decoded is not None and decoded[1] and decoded[1][-1] == str(uuid):
                return strawberry.ID(value)
            if value == str(uuid):  # ids the API still exposes raw (actions, steps)
                return strawberry.ID(value)
        if parents or kind in _SINGLE:
            return to_global_id(kind, *parents, uuid)
        return strawberry.ID(str(uuid))


def _workshop_status(value: str) -> DomainWorkshopStatus:
    # "polling" is how the domain names a proposed workshop with an open date poll.
    return DomainWorkshopStatus.PROPOSED if value == "polling" else DomainWorkshopStatus(value)


def to_user_error(error: domain.DomainError, sent: Any = None) -> UserError:
    """The GraphQL error for a refusal; ``sent`` is the mutation's input (to name records by the ids sent)."""
    name = Namer(sent)
    if isinstance(error, domain.InvalidInput):
        return InvalidInput(message=error.message, field=error.field)
    if isinstance(error, domain.NotAllowed):
        return NotAllowed(message=error.message, permission=error.permission)
    if isinstance(error, service.IdempotencyKeyReused):
        return IdempotencyKeyReused(message=error.message, client_mutation_id=error.key,
                                    first_mutation=error.first_command)
    if isinstance(error, domain.NotFound):
        gid = name.id(error.kind, error.id)
        field = error.field or "id"
        return NotFound(message=f"{field}: there is no {error.kind} with the id {gid}", field=field, id=gid)
    if isinstance(error, domain.AlreadyExists):
        existing = to_global_id(error.kind, str(error.id)) if error.kind in _SINGLE else None
        return AlreadyExists(message=error.message, existing_id=existing)
    if isinstance(error, (domain.AlreadyMember, domain.NotAMember)):
        network, city = name.id("Network", error.network_id), name.id("City", error.city_id)
        # The domain's text names the network and dates; only the city's UUID is swapped for its global id.
        message = error.message.replace(f"city {error.city_id}", f"the city {city}")
        if isinstance(error, domain.AlreadyMember):
            return AlreadyMember(message=message, network_id=network, city_id=city)
        return NotAMember(message=message, network_id=network, city_id=city)
    if isinstance(error, service.Conflict):
        return Conflict(message=error.message)
    if isinstance(error, domain.InvalidTransition):
        return InvalidTransition(message=error.message, status=_workshop_status(error.status), action=error.action)
    if isinstance(error, service.InvalidVersionTransition):
        return InvalidVersionTransition(message=error.message, status=DomainVersionStatus(error.status),
                                        action=error.action)
    if isinstance(error, domain.RegistrationClosed):
        return RegistrationClosed(message=error.message, status=_workshop_status(error.status))
    if isinstance(error, domain.NotAPartner):
        document = name.id(error.kind, error.document_id)
        party_type = _PARTY_TYPES.get(error.party_kind, "City")
        parents = [error.network_id] if party_type == "Commission" and error.network_id is not None else []
        party = name.id(party_type, error.city_id, *parents)
        return NotAPartner(message=f"{error.field}: the {error.party_kind} {party} is not a partner of the "
                                   f"{error.kind} {document}",
                           field=error.field, document_id=document, city_id=party)
    if isinstance(error, domain.DateConflict):
        other = error.conflicting_workshop_id
        return DateConflict(message=error.message,
                            conflicting_workshop_id=to_global_id("Workshop", other) if other else None,
                            affected_registration_ids=[to_global_id("Registration", str(error.workshop_id), str(r))
                                                       for r in error.registration_ids])
    if isinstance(error, domain.SessionOverlap):
        session = to_global_id("Session", error.workshop_id, error.session_id)
        return SessionOverlap(message=f"room or track {error.room!r} already has the session {session} at that time",
                              session_id=session, room=error.room)
    if isinstance(error, domain.AlreadyRegistered):
        registration = to_global_id("Registration", error.workshop_id, error.registration_id)
        return AlreadyRegistered(message=f"this delegate is already registered (registration {registration})",
                                 registration_id=registration)
    if isinstance(error, domain.PlanNotAdopted):
        return PlanNotAdopted(message=error.message, plan_id=name.id("ActionPlan", error.plan_id))
    if isinstance(error, domain.VersionFrozen):
        return VersionFrozen(message=error.message, version=error.version, status=DomainVersionStatus(error.status))
    if isinstance(error, domain.VersionSuperseded):
        return VersionSuperseded(message=error.message, version=error.version, current_version=error.current)
    if isinstance(error, domain.AlreadyEndorsed):
        city = name.id("City", error.city_id)
        decision = DomainDecision(error.decision)
        return AlreadyEndorsed(message=f"the city {city} already answered version {error.version} ({decision.value})",
                               version=error.version, city_id=city, decision=decision)
    if isinstance(error, (domain.AlreadyPartner, domain.NotAProjectPartner)):
        project, partner = name.id("Project", error.project_id), name.id("Partner", error.party_id)
        message = error.message.replace(str(error.party_id), partner).replace(str(error.project_id), project)
        if isinstance(error, domain.AlreadyPartner):
            return AlreadyPartner(message=message, project_id=project, partner_id=partner,
                                  since=error.since, until=error.until)  # type: ignore[arg-type]
        return NotAProjectPartner(message=message, field=error.field, project_id=project, partner_id=partner)
    if isinstance(error, domain.AlreadyAttached):
        output = name.id(_OUTPUT_TYPES.get(error.output_kind, "Workshop"), error.output_id)
        project = to_global_id("Project", error.project_id)
        message = error.message.replace(str(error.output_id), output).replace(str(error.project_id), project)
        return AlreadyAttached(message=message, output_id=output, project_id=project)
    if isinstance(error, domain.InvalidProjectTransition):
        return InvalidProjectTransition(message=error.message, status=DomainProjectStatus(error.status),
                                        action=error.action)
    if isinstance(error, domain.CapacityBelowRegistered):
        return CapacityBelowRegistered(message=error.message, capacity=error.capacity, registered=error.registered)
    raise TypeError(f"no GraphQL error type for {type(error).__name__}")  # pragma: no cover
