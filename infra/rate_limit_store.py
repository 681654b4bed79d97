"""The rate limiter's store: Redis while it answers, else this process's memory.

With ``CITYNET_REDIS_URL`` every process counts one budget per identity in Redis. Litestar's limiter
lets a store error through, so a Redis that is down answered 500 to every request. Here, as
``live_slots`` does for live connections, the request is counted in this process instead and a warning
logged; Redis is tried again after ``RETRY_SECONDS`` (not at every request: a dead host could make each
one wait for the connect timeout; infra/redis_outage.py). Counts kept meanwhile stay in this process: the
limit holds per process until Redis is back, then Redis's budget again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from types import TracebackType
from typing import Any

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

from citynet.infra.redis_outage import RETRY_SECONDS, TIMEOUT_SECONDS, RedisOutage, outage_of

log = logging.getLogger(__name__)


class FallbackStore(Store):
    """``primary`` (Redis) while it answers; ``fallback`` (memory) for ``retry_seconds`` after it failed."""

    def __init__(self, primary: Store, fallback: Store | None = None, retry_seconds: float = RETRY_SECONDS,
                 where: str = "Redis", outage: RedisOutage | None = None) -> None:
        self.primary = primary
        self.fallback = fallback or MemoryStore()
        self.outage = outage or RedisOutage(where, "rate limits", log, retry_seconds)

    async def _call(self, method: str, *args: Any) -> Any:
        if self.outage.down:
            return await getattr(self.fallback, method)(*args)
        try:
            result = await getattr(self.primary, method)(*args)
        except self.outage.errors as e:
            self.outage.failed(e)
            return await getattr(self.fallback, method)(*args)
        self.outage.answered()
        return result

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await self._call("set", key, value, expires_in)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self._call("get", key, renew_for)  # type: ignore[no-any-return]

    async def delete(self, key: str) -> None:
        await self._call("delete", key)

    async def delete_all(self) -> None:
        await self._call("delete_all")

    async def exists(self, key: str) -> bool:
        return await self._call("exists", key)  # type: ignore[no-any-return]

    async def expires_in(self, key: str) -> int | None:
        return await self._call("expires_in", key)  # type: ignore[no-any-return]

    async def __aexit__(self, exc_type: type[BaseException] | None, exc_val: BaseException | None,
                        exc_tb: TracebackType | None) -> None:
        await self.primary.__aexit__(exc_type, exc_val, exc_tb)


def shared_rate_limit_store(redis_url: str) -> FallbackStore:
    """The rate limiter's store on ``redis_url``, counting in this process while Redis does not answer."""
    from litestar.stores.redis import RedisStore
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    redis = RedisStore(client, namespace="citynet_rate_limit", handle_client_shutdown=True)
    return FallbackStore(redis, outage=outage_of(redis_url))
