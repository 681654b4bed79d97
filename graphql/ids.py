"""Global object ids: opaque, stable across restarts (they wrap aggregate UUIDs)."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from uuid import UUID

import strawberry

from citynet.domain.errors import InvalidInput


@lru_cache(maxsize=65536)  # the same objects are named in every response: encode each once
def to_global_id(type_name: str, *parts: str | UUID) -> strawberry.ID:
    raw = ":".join([type_name, *(str(p) for p in parts)])
    return strawberry.ID(base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))


def from_global_id(value: str, type_name: str, field: str, parts: int = 1) -> tuple[UUID, ...]:
    """Decode an id of the given type; a malformed or foreign id is InvalidInput on ``field``."""
    try:
        padded = value + "=" * (-len(value) % 4)
        decoded = base64.urlsafe_b64decode(padded.encode()).decode()
        kind, *rest = decoded.split(":")
        if kind != type_name or len(rest) != parts:
            raise ValueError
        return tuple(UUID(p) for p in rest)
    except (binascii.Error, ValueError, UnicodeError):
        raise InvalidInput(field, f"{value!r} is not a {type_name} id") from None


def decode_any(value: str) -> tuple[str, tuple[str, ...]] | None:
    try:
        padded = value + "=" * (-len(value) % 4)
        kind, *rest = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        return kind, tuple(str(UUID(p)) for p in rest)
    except (binascii.Error, ValueError, UnicodeError):
        return None
