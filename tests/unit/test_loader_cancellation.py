"""A cancelled caller of a shared DataLoader must not strand the others (graphql/loaders.py).

Deterministic replay of what made the resume test flaky: a subscriber is dropped after its load has
scheduled the batch's dispatch but before the dispatch started; the next load on the same loader (another
subscriber rendering the same event, or a resumed subscription) must still be answered."""

from __future__ import annotations

import asyncio
from typing import Any

from strawberry.dataloader import DataLoader

from citynet.graphql.loaders import _by_key


async def _fetch(keys: list[str]) -> dict[str, str]:
    return {k: k.upper() for k in keys}


async def _dropped_then_another(loader: DataLoader[Any, Any]) -> str:
    first = asyncio.ensure_future(_await(loader, "a"))
    await asyncio.sleep(0)  # `first` runs: its load makes a batch and schedules the dispatch (call_soon)
    first.cancel()  # the subscriber is dropped there: the dispatch task is made next, then (without the
    await asyncio.sleep(0)  # shield) cancelled by the batch's callback before it ever runs
    return await asyncio.wait_for(_await(loader, "b"), timeout=2.0)  # another subscriber, same loader


async def _await(loader: DataLoader[Any, Any], key: str) -> str:
    return await loader.load(key)  # type: ignore[no-any-return]


def test_a_dropped_caller_does_not_strand_the_next_one() -> None:
    assert asyncio.run(_dropped_then_another(_by_key(_fetch))) == "B"


def test_strawberrys_plain_loader_strands_it() -> None:
    """The failure mode the shield prevents (if strawberry fixes it, this test says so and can go)."""
    async def plain() -> str:
        async def load(keys: list[str]) -> list[str]:
            return [k.upper() for k in keys]
        return await _dropped_then_another(DataLoader(load))

    try:
        asyncio.run(plain())
        stranded = False
    except asyncio.TimeoutError:
        stranded = True
    assert stranded
