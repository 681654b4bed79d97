"""One request budget per identity, shared by HTTP and live updates.

The HTTP rate limit is Litestar's ``RateLimitMiddleware``: per identity (``ip:<address>`` or
``sub:<subject>``), a ``CacheObject`` in the app's ``rate_limit`` store holding one timestamp per request
of the current window and the window's end (``reset``). A WebSocket is one HTTP request (its upgrade is
not even that: the middleware sees HTTP scopes only), yet graphql-transport-ws runs queries and
mutations as well as subscriptions over it, and a resumed subscription replays up to 50 messages. So
live updates spend the same budget, in the same record: a WebSocket's ``connection_init`` and each of
its ``subscribe`` messages take one unit. The messages a resume replays are charged to a second record of
the same shape and size (``LiveBudget``, ``REPLAYS``), so that resuming does not starve the caller's
queries. Redis-backed with ``CITYNET_REDIS_URL`` (infra/rate_limit_store.py), as the
middleware's.

Read-modify-write of the record is guarded by a lock in this process, shared with the middleware
(``sharing_lock``), as Litestar guards its own; across processes, as for the middleware, two updates at
the same moment may count one unit too few.
"""

from __future__ import annotations

from dataclasses import dataclass
from time import time
from typing import Any

import anyio
from litestar.middleware.rate_limit import DURATION_VALUES, CacheObject, RateLimitMiddleware
from litestar.serialization import decode_json, encode_json
from litestar.stores.base import Store

WINDOW_SECONDS = DURATION_VALUES["minute"]


def budget_key(identity: str, record: str = RateLimitMiddleware.__name__) -> str:
    """The middleware's key for ``identity`` (``RateLimitMiddleware.cache_key_from_request``), or that of
    another record of the same shape."""
    return f"{record}::{identity}"


# Replayed messages of resumed subscriptions have a budget of their own, of the same size: drawn from the
# requests' budget, a dashboard resuming twelve subscriptions spent its minute and its next query got 429.
REPLAYS = "LiveReplay"


class OperationBudget:
    """``per_minute`` units per identity and minute, in ``store`` (the app's ``rate_limit`` store)."""

    def __init__(self, store: Store, per_minute: int) -> None:
        self.store = store
        self.per_minute = per_minute
        self.lock = anyio.Lock()

    async def _history(self, key: str, now: int) -> CacheObject:
        cached = await self.store.get(key)
        if cached:
            record = CacheObject(**decode_json(value=cached))
            if record.reset > now:
                return record
        return CacheObject(history=[], reset=now + WINDOW_SECONDS)

    async def take_up_to(self, identity: str, units: int, record: str = RateLimitMiddleware.__name__) -> int:
        """Grant as many of ``units`` as the window has room for, record them, return how many."""
        granted, _ = await self._take(identity, units, record)
        return granted

    async def take(self, identity: str) -> int | None:
        """One unit: None when granted, else the seconds until the window has room again."""
        granted, record = await self._take(identity, 1)
        return None if granted else max(record.reset - int(time()), 1)

    async def _take(self, identity: str, units: int,
                    record_name: str = RateLimitMiddleware.__name__) -> tuple[int, CacheObject]:
        key = budget_key(identity, record_name)
        async with self.lock:
            now = int(time())
            record = await self._history(key, now)
            granted = max(min(units, self.per_minute - len(record.history)), 0)
            if granted:
                record.history = [now] * granted + record.history
                await self.store.set(key, encode_json(record), expires_in=WINDOW_SECONDS)
            return granted, record

    def bound(self, identity: str) -> LiveBudget:
        return LiveBudget(self, identity)


@dataclass(frozen=True)
class LiveBudget:
    """One caller's budget for the messages its resumes replay (``Context.live_budget``): a record apart
    from the requests', of the same size per minute."""

    budget: OperationBudget
    identity: str

    async def take_up_to(self, units: int) -> int:
        return await self.budget.take_up_to(self.identity, units, REPLAYS)


def sharing_lock(budget: OperationBudget) -> type[RateLimitMiddleware]:
    """Litestar's middleware, with the budget's lock instead of its own, so that an HTTP request and a live
    operation of this process never update the same record at once."""

    class SharedBudgetRateLimitMiddleware(RateLimitMiddleware):
        def __init__(self, app: Any, config: Any) -> None:
            super().__init__(app, config)
            self._lock = budget.lock

    # The middleware names its records after its class: keep Litestar's name, so that the records stay
    # ``budget_key``'s (and those of a server running the plain middleware on the same Redis).
    SharedBudgetRateLimitMiddleware.__name__ = RateLimitMiddleware.__name__
    return SharedBudgetRateLimitMiddleware
