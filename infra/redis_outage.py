"""When Redis last failed to answer, so that its users stop asking it for a while.

Both Redis users here (the rate limit's store, infra/rate_limit_store.py, and the live connection slots,
infra/live_slots.py) fall back to counting in this process when Redis does not answer. Asking again at
every request would make each one wait for the timeout while Redis is down, or accepts connections and
never answers; so after a failure they count locally for ``RETRY_SECONDS``, with one warning, then try
Redis again. Both share one record per Redis URL in a process (``outage_of``): what one of them learned
spares the other the wait, and the warning is logged once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
TIMEOUT_SECONDS = 1.0  # a request waits at most this for Redis (connect, then each reply)


def unavailable_errors() -> tuple[type[BaseException], ...]:
    """What a Redis that is down, refuses or does not answer raises."""
    from redis.exceptions import RedisError

    return (RedisError, OSError, asyncio.TimeoutError)


def redis_where(url: str) -> str:
    """``Redis at host:port`` for log messages: the URL may carry a password."""
    parts = urlsplit(url)
    return f"Redis at {parts.hostname}:{parts.port or 6379}"


class RedisOutage:
    """Whether to skip Redis now; ``failed`` and ``answered`` log the changes (``what`` says the fallback)."""

    def __init__(self, where: str, what: str, log: logging.Logger, retry_seconds: float = RETRY_SECONDS) -> None:
        self.where, self.what, self.log = where, what, log
        self.retry_seconds = retry_seconds
        self.down_until: float | None = None  # monotonic time to try Redis again; None while it answers
        self.errors = unavailable_errors()

    @property
    def down(self) -> bool:
        return self.down_until is not None and time.monotonic() < self.down_until

    def failed(self, error: BaseException) -> None:
        first = self.down_until is None or not self.down
        self.down_until = time.monotonic() + self.retry_seconds
        if first:
            self.log.warning("%s did not answer (%s): %s counted in this process, retried in %.0fs",
                             self.where, error, self.what, self.retry_seconds)

    def answered(self) -> None:
        if self.down_until is not None:
            self.down_until = None
            self.log.warning("%s answers again: %s shared again", self.where, self.what)


_by_url: dict[str, RedisOutage] = {}


def outage_of(url: str) -> RedisOutage:
    """This process's record for the Redis at ``url``, shared by the rate limit's store and the live slots."""
    found = _by_url.get(url)
    if found is None:
        found = _by_url[url] = RedisOutage(redis_where(url), "rate limits and live connections", log)
    return found
