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
    """Concurrent writers kept changing the same record; nothing was stored."""

    def __init__(self, kind: str, id: object, attempts: int) -> None:
        super().__init__(
            f"{kind} {id} was changed by someone else {attempts} times while this command ran; "
            "nothing was stored, try again"
        )
        self.kind = kind
        self.id = id
