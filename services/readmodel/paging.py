"""Keyset pagination with opaque cursors.

A cursor encodes the sort key of the last row seen, so pages stay stable
while rows are added: no offsets that shift under concurrent writes.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from citynet.domain.errors import InvalidInput

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]  # (cursor, item)
    has_next_page: bool
    has_previous_page: bool
    total_count: int | None  # None: counted by ``count`` only if someone asks (a query of its own)
    count: Callable[[], Awaitable[int]] | None = None

    async def total(self) -> int:
        if self.total_count is not None:
            return self.total_count
        assert self.count is not None
        return await self.count()


def encode_cursor(key: Sequence[str]) -> str:
    return _encode_cursor(tuple(key))


@lru_cache(maxsize=65536)  # the same rows are paged through again and again: encode each key once
def _encode_cursor(key: tuple[str, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key), ensure_ascii=False).encode()).decode()


def decode_cursor(cursor: str | None, size: int, field: str = "after") -> list[str] | None:
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (binascii.Error, ValueError, UnicodeError):
        raise InvalidInput(field, "is not a cursor returned by this API") from None
    if not isinstance(key, list) or len(key) != size or not all(isinstance(k, str) for k in key):
        raise InvalidInput(field, "is not a cursor returned by this API")
    return key


def check_first(first: int | None, field: str = "first") -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise InvalidInput(field, f"must be between 0 and {MAX_PAGE_SIZE}")
    return first


def page_in_memory(
    rows: Sequence[T], key: Callable[[T], tuple[str, ...]], first: int | None, after: str | None
) -> Page[T]:
    """Paginate an already-loaded, small list with the same cursor rules."""
    limit = check_first(first)
    ordered = sorted(rows, key=key)
    start_key = decode_cursor(after, len(key(ordered[0])) if ordered else 2)
    if start_key is not None:
        ordered = [r for r in ordered if list(key(r)) > start_key]
    chunk = ordered[:limit]
    return Page(
        items=[(encode_cursor(key(r)), r) for r in chunk],
        has_next_page=len(ordered) > limit,
        has_previous_page=after is not None,
        total_count=len(rows),
    )
