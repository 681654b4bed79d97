"""The rate limiter's store: Redis while it answers, else this process's memory.

With ``CITYNET_REDIS_URL`` every process counts one budget per identity in Redis. Litestar's limiter
lets a store error through, so a Redis that is down answered 500 to every request. Here, as
``live_slots`` does for live connections, the request is counted in this process instead and a warning
logged; Redis is tried again after ``RETRY_SECONDS`` (not at every request: a dead host could make each
one wait for the connect timeout). Counts kept meanwhile stay in this process: the limit holds per
process until Redis is back, then Redis's budget again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
TIMEOUT_SECONDS = 1.0  # a request waits at most this for Redis (connect, then each reply)


def _unavailable_errors() -> tuple[type[BaseException], ...]:
    from redis.exceptions import RedisError

    return (RedisError, OSError, asyncio.TimeoutError)


class FallbackStore(Store):
    """``primary`` (Redis) while it answers; ``fallback`` (memory) for ``retry_seconds`` after it failed."""

    def __init__(self, primary: Store, fallback: Store | None = None, retry_seconds: float = RETRY_SECONDS,
                 where: str = "Redis") -> None:
        self.primary = primary
        self.fallback = fallback or MemoryStore()
        self.retry_seconds = retry_seconds
        self.where = where
        self.down_until: float | None = None  # monotonic time to try the primary again; None while it answers
        self._errors = _unavailable_errors()

    async def _call(self, method: str, *args: Any) -> Any:
        if self.down_until is not None and time.monotonic() < self.down_until:
            return await getattr(self.fallback, method)(*args)
        try:
            result = await getattr(self.primary, method)(*args)
        except self._errors as e:
            self.down_until = time.monotonic() + self.retry_seconds
            log.warning("%s did not answer (%s): rate limits counted in this process, retried in %.0fs",
                        self.where, e, self.retry_seconds)
            return await getattr(self.fallback, method)(*args)
        if self.down_until is not None:
            self.down_until = None
            log.warning("%s answers again: rate limits shared again", self.where)
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
    where = urlsplit(redis_url)  # host and port only: the URL may carry a password
    return FallbackStore(redis, where=f"Redis at {where.hostname}:{where.port or 6379}")
