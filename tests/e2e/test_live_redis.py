"""Live connections per identity shared through Redis (CITYNET_REDIS_URL): two server processes, one
count, WebSocket and Server-Sent Events together; a dead process's connections expire with their lease.

Redis from CITYNET_TEST_REDIS_URL (default redis://127.0.0.1:6379/0); skipped with the reason when it
does not answer, a failure under CI=true."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from citynet.infra.live_slots import RedisSlots
from tests.conftest import IN_CI
from tests.e2e.live_clients import SSE, Server, token

REDIS_URL = os.environ.get("CITYNET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
EVENTS = "subscription { events { position } }"


def redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as e:  # noqa: BLE001
        return f"Redis at {REDIS_URL} does not answer: {e}"


@pytest.fixture(scope="module")
def redis_url() -> str:
    problem = redis_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true requires Redis: {problem}")
        pytest.skip(problem)
    return REDIS_URL


@pytest.fixture(scope="module")
def servers(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    # Two servers on databases of their own: what they share is the Redis count.
    started = []
    try:
        for name in ("a", "b"):
            started.append(Server({"CITYNET_DATA_DIR": str(tmp_path_factory.mktemp(name)), "CITYNET_DATABASE_URL": "",
                                   "CITYNET_REDIS_URL": redis_url, "CITYNET_MAX_CONNECTIONS_PER_IDENTITY": "2"}))
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def ws(port: int, bearer: str) -> tuple[ClientConnection, dict[str, object]]:
    connection = connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                         open_timeout=10)
    connection.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {bearer}"}}))
    try:
        return connection, json.loads(connection.recv(timeout=10))
    except Exception as e:  # noqa: BLE001 - closed instead of acknowledged
        return connection, {"type": "closed", "detail": str(e)}


def test_the_limit_counts_connections_on_every_server(servers: tuple[Server, Server]) -> None:
    a, b = servers
    bearer = token("auditor")  # a subject of its own: nothing else counts against it
    first, ack = ws(a.port, bearer)
    assert ack["type"] == "connection_ack"
    stream = SSE(b.port, EVENTS, bearer=bearer)  # the other transport, on the other server
    try:
        assert stream.status == 200
        third, refused = ws(b.port, bearer)
        assert refused["type"] == "closed" and "1013" in str(refused["detail"]), refused
        third.close()
        refused_stream = SSE(a.port, EVENTS, bearer=bearer)
        assert refused_stream.status == 429
        refused_stream.close()
        other, ack = ws(b.port, token("auditor"))  # another identity is not affected
        assert ack["type"] == "connection_ack"
        other.close()
        first.close()  # frees a place on every server
        for _ in range(50):
            again, ack = ws(b.port, bearer)
            again.close()
            if ack["type"] == "connection_ack":
                break
            time.sleep(0.1)  # the server notices the close asynchronously
        assert ack["type"] == "connection_ack"
    finally:
        stream.close()


@pytest.fixture(scope="module")
def limited_servers(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    started = []
    try:
        for name in ("la", "lb"):
            started.append(Server({"CITYNET_DATA_DIR": str(tmp_path_factory.mktemp(name)), "CITYNET_DATABASE_URL": "",
                                   "CITYNET_REDIS_URL": redis_url, "CITYNET_RATE_LIMIT_PER_MINUTE": "4"}))
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def test_one_rate_limit_budget_across_servers_and_transports(limited_servers: tuple[Server, Server]) -> None:
    a, b = limited_servers
    bearer = token("auditor")
    connection, ack = ws(a.port, bearer)  # one unit
    try:
        assert ack["type"] == "connection_ack"
        connection.send(json.dumps({"type": "subscribe", "id": "q1", "payload": {"query": "{ readPosition }"}}))
        assert json.loads(connection.recv(timeout=10))["type"] == "next"  # two
        assert json.loads(connection.recv(timeout=10))["type"] == "complete"
        post = {"json": {"query": "{ readPosition }"}, "headers": {"authorization": f"Bearer {bearer}"}, "timeout": 20}
        assert [httpx.post(f"http://127.0.0.1:{b.port}/graphql", **post).status_code  # type: ignore[arg-type]
                for _ in range(2)] == [200, 200]  # three, four: on the other server
        connection.send(json.dumps({"type": "subscribe", "id": "q2", "payload": {"query": "{ readPosition }"}}))
        refused = json.loads(connection.recv(timeout=10))
        assert refused["id"] == "q2" and refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert httpx.post(f"http://127.0.0.1:{b.port}/graphql", **post).status_code == 429  # type: ignore[arg-type]
    finally:
        connection.close()


def test_a_dead_process_loses_its_connections_when_their_lease_runs_out(redis_url: str) -> None:
    async def scenario() -> None:
        identity = f"sub:lease-{uuid.uuid4().hex[:8]}"
        dead = RedisSlots(redis_url, lease_seconds=1.0)
        assert await dead.acquire(identity, 1) is not None
        dead.held.clear()  # the process "dies": nothing renews or releases its lease
        alive = RedisSlots(redis_url, lease_seconds=1.0)
        assert await alive.acquire(identity, 1) is None
        await asyncio.sleep(1.2)
        slot = await alive.acquire(identity, 1)
        assert slot is not None
        await slot.release()
        # A held lease is renewed: it outlives its first term.
        kept = await alive.acquire(identity, 1)
        assert kept is not None
        await asyncio.sleep(1.5)
        third = RedisSlots(redis_url, lease_seconds=1.0)
        assert await third.acquire(identity, 1) is None
        await kept.release()
        for slots in (dead, alive, third):
            await slots.client.aclose()

    asyncio.run(scenario())


def test_without_redis_each_process_counts_its_own(tmp_path: Path) -> None:
    from citynet.infra.live_slots import LocalSlots

    async def scenario() -> None:
        slots = LocalSlots()
        first = await slots.acquire("sub:x", 1)
        assert first is not None and await slots.acquire("sub:x", 1) is None
        await first.release()
        await first.release()  # twice is once
        assert await slots.acquire("sub:x", 1) is not None

    asyncio.run(scenario())
