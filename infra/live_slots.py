"""Live connections per identity: one count for both transports (WebSocket and Server-Sent Events).

Without Redis each process counts its own (``LocalSlots``). With ``CITYNET_REDIS_URL`` every process
and server on that Redis shares one count per identity (``RedisSlots``): a sorted set per identity
whose members are the open connections, scored by a lease expiry that the holding process renews;
a process that dies without releasing its connections loses them when their leases run out
(``LEASE_SECONDS``), so a crash never locks an identity out for good. Taking a slot is one Lua script
(drop expired leases, count, add), so two servers cannot both take the last one.

If Redis does not answer, the connection is counted locally and a warning logged: a live update is
not refused because the limiter's store is down (the per-process limit still holds). Redis is then left
alone for 30 s (infra/redis_outage.py, one record with the rate limit's store): a Redis that accepts
connections and never answers would otherwise hold up every new connection for the timeout.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections import Counter
from typing import Any, Protocol

from citynet.infra.redis_outage import TIMEOUT_SECONDS, outage_of


LEASE_SECONDS = 30.0
KEY_PREFIX = "citynet:live:connections:"

_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


class Slot(Protocol):
    async def release(self) -> None: ...


class Slots(Protocol):
    async def acquire(self, identity: str, limit: int) -> Slot | None:
        """A slot for one more connection of ``identity``, or None when it already holds ``limit``."""
        ...


class _LocalSlot:
    def __init__(self, owner: LocalSlots, identity: str) -> None:
        self.owner, self.identity, self.released = owner, identity, False

    async def release(self) -> None:
        if not self.released:
            self.released = True
            self.owner.counts[self.identity] -= 1
            if self.owner.counts[self.identity] <= 0:
                del self.owner.counts[self.identity]


class LocalSlots:
    """This process's connections per identity."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    async def acquire(self, identity: str, limit: int) -> Slot | None:
        if self.counts[identity] >= limit:
            return None
        self.counts[identity] += 1
        return _LocalSlot(self, identity)


class _RedisSlot:
    def __init__(self, owner: RedisSlots, key: str, member: str) -> None:
        self.owner, self.key, self.member = owner, key, member

    async def release(self) -> None:
        if self.owner.held.pop(self.member, None) is None or self.owner.outage.down:
            return  # while Redis does not answer, the lease runs out by itself
        try:
            await self.owner.client.zrem(self.key, self.member)
        except self.owner.outage.errors as e:
            self.owner.outage.failed(e)


class RedisSlots:
    """Connections per identity shared by every process using this Redis."""

    def __init__(self, url: str, lease_seconds: float = LEASE_SECONDS) -> None:
        from redis.asyncio import Redis

        self.url = url
        # A Redis that does not answer must not hold up every connection attempt: fall back after a second,
        # and do not ask it again for a while.
        self.client: Any = Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
        self.outage = outage_of(url)  # shared with the rate limit's store on the same Redis
        self.lease = lease_seconds
        self.held: dict[str, str] = {}  # member -> key: this process's open connections
        self.local = LocalSlots()  # when Redis does not answer
        self._script: Any = self.client.register_script(_ACQUIRE)
        self._renewer: asyncio.Task[None] | None = None

    async def acquire(self, identity: str, limit: int) -> Slot | None:
        key, member = KEY_PREFIX + identity, uuid.uuid4().hex
        now = time.time()
        if self.outage.down:
            return await self.local.acquire(identity, limit)
        try:
            taken = await self._script(keys=[key], args=[now, limit, now + self.lease, member,
                                                         int(self.lease * 2000)])
        except self.outage.errors as e:
            self.outage.failed(e)
            return await self.local.acquire(identity, limit)
        self.outage.answered()
        if not taken:
            return None
        self.held[member] = key
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew(), name="citynet-live-slots")
        return _RedisSlot(self, key, member)

    async def _renew(self) -> None:
        """Push this process's leases forward while it holds connections."""
        while self.held:
            await asyncio.sleep(self.lease / 3)
            if self.outage.down:
                continue  # the leases may run out meanwhile: those connections are then no longer counted
            expiry = time.time() + self.lease
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    for member, key in list(self.held.items()):
                        pipe.zadd(key, {member: expiry}, xx=True)
                        pipe.pexpire(key, int(self.lease * 2000))
                    await pipe.execute()
            except self.outage.errors as e:  # retried at the next round
                self.outage.failed(e)


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Slots]] = weakref.WeakKeyDictionary()


def slots_for(redis_url: str) -> Slots:
    """The process's slots (one per event loop: a Redis client belongs to the loop that made it)."""
    per_loop = _by_loop.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get(redis_url)
    if found is None:
        found = per_loop[redis_url] = RedisSlots(redis_url) if redis_url else LocalSlots()
    return found
