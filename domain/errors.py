"""Errors that the domain raises when a command would break an invariant.

Each error carries enough to be shown to a partner frontend as a typed
GraphQL error: a message for people, and the field or ids it is about.
"""

from __future__ import annotations

from uuid import UUID


class DomainError(Exception):
    """A command was refused; nothing was stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """A value is malformed or breaks a rule about values (names, dates, codes)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class NotFound(DomainError):
    """A referenced record does not exist."""

    def __init__(self, kind: str, id: UUID | str, field: str | None = None) -> None:
        super().__init__(f"{kind} {id} not found")
        self.kind = kind
        self.id = id
        self.field = field


class AlreadyExists(DomainError):
    """A record with the same identity (name, code) already exists."""

    def __init__(self, kind: str, id: UUID, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.id = id


class AlreadyMember(DomainError):
    def __init__(self, network_id: UUID, city_id: UUID, message: str) -> None:
        super().__init__(message)
        self.network_id = network_id
        self.city_id = city_id


class NotAMember(DomainError):
    def __init__(self, network_id: UUID, city_id: UUID, message: str) -> None:
        super().__init__(message)
        self.network_id = network_id
        self.city_id = city_id


class InvalidTransition(DomainError):
    """The workshop's status does not allow this step (e.g. confirming a cancelled workshop)."""

    def __init__(self, status: str, action: str, kind: str = "workshop") -> None:
        super().__init__(f"a {status} {kind} cannot be {action}")
        self.status = status
        self.action = action


class RegistrationClosed(DomainError):
    def __init__(self, status: str) -> None:
        super().__init__(f"registration is closed: the workshop is {status}")
        self.status = status


class PlanNotAdopted(DomainError):
    """Only an adopted version of a plan is carried out: this plan has none yet."""

    def __init__(self, plan_id: UUID) -> None:
        super().__init__("the plan has no adopted version yet: only an adopted plan is carried out")
        self.plan_id = plan_id


class NotAPartner(DomainError):
    """The party is not a partner of the workshop, plan, protocol or declaration (``kind``). Workshops have
    cities only; agreements also networks, commissions (``network_id``: the commission's network) and
    organisations (``party_kind``). ``city_id`` is the party's own id, whatever its kind."""

    def __init__(self, kind: str, document_id: UUID, city_id: UUID, field: str = "cityId",
                 party_kind: str = "city", network_id: UUID | None = None) -> None:
        super().__init__(f"{party_kind} {city_id} is not a partner of {kind} {document_id}")
        self.kind = kind
        self.document_id = document_id
        self.city_id = city_id
        self.field = field
        self.party_kind = party_kind
        self.network_id = network_id


class DateConflict(DomainError):
    """Refused because of another workshop on overlapping days (host city or delegate).

    ``conflicting_workshop_id`` is None when the caller may not learn which
    workshop it is; ``registration_ids`` lists the caller's own workshop's
    registrations that clash (a reschedule)."""

    def __init__(self, conflicting_workshop_id: UUID | None, message: str,
                 registration_ids: list[UUID] | tuple[UUID, ...] = (), workshop_id: UUID | None = None) -> None:
        super().__init__(message)
        self.conflicting_workshop_id = conflicting_workshop_id
        self.registration_ids = list(registration_ids)
        self.workshop_id = workshop_id  # the workshop those registrations belong to


class SessionOverlap(DomainError):
    def __init__(self, workshop_id: UUID, session_id: UUID, room: str) -> None:
        super().__init__(f"room or track {room!r} already has session {session_id} at that time")
        self.workshop_id = workshop_id
        self.session_id = session_id
        self.room = room


class AlreadyRegistered(DomainError):
    def __init__(self, workshop_id: UUID, registration_id: UUID) -> None:
        super().__init__(f"this delegate is already registered (registration {registration_id})")
        self.workshop_id = workshop_id
        self.registration_id = registration_id


class CapacityBelowRegistered(DomainError):
    def __init__(self, capacity: int, registered: int) -> None:
        super().__init__(
            f"{registered} delegates are registered, more than the new capacity {capacity}; "
            "say what happens to the excess (excess: MOVE_TO_WAITLIST)"
        )
        self.capacity = capacity
        self.registered = registered


class VersionFrozen(DomainError):
    """A proposed or adopted version cannot be edited in place: start a revision."""

    def __init__(self, version: int, status: str) -> None:
        super().__init__(
            f"version {version} is {status} and cannot be edited in place; start a revision (a new version)"
        )
        self.version = version
        self.status = status


class VersionSuperseded(DomainError):
    """The version is not the one open for this step (a newer version exists, or it is not proposed)."""

    def __init__(self, version: int, current: int, message: str | None = None) -> None:
        super().__init__(message or f"version {version} is superseded; the current version is {current}")
        self.version = version
        self.current = current


class AlreadyEndorsed(DomainError):
    def __init__(self, version: int, city_id: UUID, decision: str) -> None:
        super().__init__(f"city {city_id} already answered version {version} ({decision})")
        self.version = version
        self.city_id = city_id
        self.decision = decision


class NotAllowed(DomainError):
    """The actor lacks a permission; ``permission`` names it."""

    def __init__(self, permission: str, message: str | None = None) -> None:
        super().__init__(message or f"not allowed: this needs the permission {permission!r}")
        self.permission = permission


class AlreadyPartner(DomainError):
    """The party is already a partner of the project for (part of) the period asked."""

    def __init__(self, project_id: UUID, party_id: UUID, since: object, until: object, message: str) -> None:
        super().__init__(message)
        self.project_id = project_id
        self.party_id = party_id
        self.since = since
        self.until = until


class NotAProjectPartner(DomainError):
    """The party is not a partner of the project (on the day asked)."""

    def __init__(self, project_id: UUID, party_id: UUID, field: str, message: str) -> None:
        super().__init__(message)
        self.project_id = project_id
        self.party_id = party_id
        self.field = field


class AlreadyAttached(DomainError):
    """The workshop, plan or protocol already belongs to a project (``project_id``)."""

    def __init__(self, output_kind: str, output_id: UUID, project_id: UUID, message: str) -> None:
        super().__init__(message)
        self.output_kind = output_kind
        self.output_id = output_id
        self.project_id = project_id


class InvalidProjectTransition(DomainError):
    """The project's status does not allow this step (e.g. closing a planned project)."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"a {status} project cannot be {action}")
        self.status = status
        self.action = action
