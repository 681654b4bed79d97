"""Read-model rows kept per projection version: repeated reads run no SQL while nothing changed.

A read-model table changes only when its projection commits a batch, and the projection's position
(with the count of rebuilds swapped in) moves right after every such commit (``PositionBoard.version``,
no I/O; other processes' commits arrive by notification). So the rows a query returned are a
function of (the query, its arguments, that version), and a query's rows can be kept under that key:

- the version is read *before* the query runs, so kept rows are never older than their key (they
  may be newer, if a commit landed meanwhile: then the entry is not kept);
- as soon as the version moves on, every entry of the older version is dropped on the next use:
  nothing is served from an older state, whatever the entry;
- only queries over tables derived from events alone are kept: no personal data (names and e-mails
  live outside the event log so they can be erased, and the position does not cover them), nothing
  that depends on the clock. Rows are frozen dataclasses and every caller gets its own copy of the
  containers (a dict of lists: one level deep), so a caller cannot change a kept entry.
- it sits beneath ``VisibleReads``: rows are the same for every caller, visibility is applied after.

Bounded per projection (``size`` entries, least recently used first out). Used by ``ReadModel``
through the ``kept`` decorator; without a version source (a bare ``ReadModel`` in tests) nothing is
kept.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_SIZE = 1024


class RowCache:
    def __init__(self, version: Callable[[str], Hashable | None], size: int = DEFAULT_SIZE) -> None:
        self.version = version
        self.size = size
        self._kept: dict[str, tuple[Hashable, OrderedDict[Hashable, Any]]] = {}
        self.hits = 0
        self.misses = 0

    def get(self, projection: str, key: Hashable) -> tuple[Hashable | None, Any]:
        """(the version now, the kept value or ``MISSING``)."""
        version = self.version(projection)
        if version is None or self.size <= 0:
            return None, MISSING
        kept = self._kept.get(projection)
        if kept is None or kept[0] != version:
            self.misses += 1
            return version, MISSING
        value = kept[1].get(key, MISSING)
        if value is MISSING:
            self.misses += 1
        else:
            kept[1].move_to_end(key)
            self.hits += 1
        return version, value

    def put(self, projection: str, key: Hashable, version: Hashable, value: Any) -> None:
        if self.version(projection) != version:  # a commit landed while we read: the rows may be newer
            return
        kept = self._kept.get(projection)
        if kept is None or kept[0] != version:
            kept = self._kept[projection] = (version, OrderedDict())
        kept[1][key] = value
        if len(kept[1]) > self.size:
            kept[1].popitem(last=False)


class _Missing:
    __slots__ = ()


MISSING: Any = _Missing()


def _frozen(value: Any) -> Hashable:
    """A hashable form of a query's arguments (id lists become tuples, in order)."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    hash(value)  # dates, frozen dataclasses: hashable as they are (raises for anything else)
    return value


def _copied(value: Any) -> Any:
    """What a caller gets: its own outer containers (a defaultdict would grow on a missing key)."""
    if isinstance(value, dict):
        return {k: list(v) if isinstance(v, list) else v for k, v in value.items()}
    if isinstance(value, list):
        return list(value)
    return value


def kept(projection: str) -> Callable[[F], F]:
    """Keep an async ReadModel query's result per version of ``projection`` (whose tables it reads)."""

    def decorate(query: F) -> F:
        name = query.__qualname__

        @functools.wraps(query)
        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            cache: RowCache | None = self.row_cache
            if cache is None:
                return await query(self, *args, **kwargs)
            args = tuple(list(a) if not isinstance(a, (str, bytes, list, tuple, dict)) and hasattr(a, "__iter__")
                         else a for a in args)  # an iterator is read once: by the key and the query alike
            key = (name, _frozen(args), _frozen(kwargs))
            version, value = cache.get(projection, key)
            if value is MISSING:
                value = await query(self, *args, **kwargs)
                if version is not None:
                    value = _copied(value)
                    cache.put(projection, key, version, value)
            return _copied(value)

        return wrapper  # type: ignore[return-value]

    return decorate
