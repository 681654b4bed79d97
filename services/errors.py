"""Errors a command can end with. Domain errors pass through unchanged."""

from __future__ import annotations

from citynet.domain.errors import (  # noqa: F401 - re-exported for callers
    AlreadyExists,
    AlreadyMember,
    DomainError,
    InvalidInput,
    NotAMember,
    NotFound,
)


class Conflict(DomainError):
    """Concurrent writers kept changing the same records; nothing was stored."""

    def __init__(self, command: str, attempts: int) -> None:
        super().__init__(
            f"{command}: the records it changes were changed by someone else {attempts} times while it ran; "
            "nothing was stored, try again"
        )
        self.command = command
        self.attempts = attempts


class IdempotencyKeyReused(DomainError):
    """The idempotency key was used before, by this caller, for a different request."""

    def __init__(self, key: str, first_command: str) -> None:
        super().__init__(
            f"the idempotency key {key!r} was already used for a different request ({first_command}); "
            "use a new key for a new request"
        )
        self.key = key
        self.first_command = first_command


class InvalidVersionTransition(DomainError):
    """A plan or protocol version's status does not allow this step (e.g. revising a draft)."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"a {status} version cannot be {action}")
        self.status = status
        self.action = action
