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
