"""The stored topics a projection handles, so the runner reads only those events."""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.utils import get_topic


def topics_of(handlers: Iterable[type]) -> tuple[str, ...]:
    return tuple(sorted({get_topic(cls) for cls in handlers}))
