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


PARTY_TYPES = {"City": "city", "Network": "network", "Commission": "commission", "Organisation": "organisation"}


def party_from_global_id(value: str, field: str) -> str:
    """A City, Network, Commission or Organisation global id as a party key (domain/party.py).

    Any other id (a Workshop's, a malformed one) is InvalidInput on ``field``: not a party."""
    decoded = decode_any(value)
    if decoded is not None and decoded[0] in PARTY_TYPES:
        kind, parts = PARTY_TYPES[decoded[0]], decoded[1]
        if len(parts) == (2 if kind == "commission" else 1):
            return f"{kind}:{':'.join(parts)}"
    raise InvalidInput(field, f"{value!r} is not a City, Network, Commission or Organisation id")


def party_global_id(key: str) -> strawberry.ID:
    kind, *parts = key.split(":")
    name = next(n for n, k in PARTY_TYPES.items() if k == kind)
    return to_global_id(name, *parts)
