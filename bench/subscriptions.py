"""Fan-out benchmark: N subscribers on one workshop over WebSocket, one mutation at a time.

Starts a real server process (`citynet serve`) on a fresh database (PostgreSQL from
CITYNET_TEST_POSTGRES_URL's server, or SQLite with --sqlite), seeds the demo, opens N
graphql-transport-ws connections with one `workshop` subscription each, then sends a capacity
change and measures, per subscriber, the time from sending the mutation until its message
arrived (p50, p99, max). Memory: the server's RSS before and after the idle subscriptions.

    uv run python bench/subscriptions.py --subscribers 500 --mutations 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.test_cli import Server, citynet  # noqa: E402
from tests.e2e.test_processes import ADMIN, post  # noqa: E402

QUERY = "subscription($id: ID!) { workshop(id: $id) { position workshop { capacity freePlaces } } }"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def subscriber(port: int, workshop: str, ready: asyncio.Event, arrivals: asyncio.Queue[tuple[int, float]],
                     opened: list[int]) -> None:
    async with websockets.connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"],
                                  max_queue=None, open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {ADMIN}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": QUERY, "variables": {"id": workshop}}}))
        opened.append(1)
        await ready.wait()
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "ping":  # the server's keep-alive (every CITYNET_WS_PING_SECONDS)
                await ws.send(json.dumps({"type": "pong"}))
                continue
            if message.get("type") != "next":
                raise RuntimeError(f"unexpected message: {message}")
            arrivals.put_nowait((message["payload"]["data"]["workshop"]["position"], time.monotonic()))


async def run(port: int, pid: int, workshop: str, n: int, mutations: int) -> None:
    ready, arrivals, opened = asyncio.Event(), asyncio.Queue(), []  # type: ignore[var-annotated]
    before = rss_kib(pid)
    tasks = []
    for _ in range(n):  # opened in batches: the accept queue is finite
        tasks.append(asyncio.create_task(subscriber(port, workshop, ready, arrivals, opened)))
        if len(tasks) % 50 == 0:
            while len(opened) < len(tasks):
                if any(t.done() and t.exception() is not None for t in tasks):
                    break
                await asyncio.sleep(0.01)
    while len(opened) < n:
        failed = [t for t in tasks if t.done() and t.exception() is not None]
        if failed:  # a refused subscriber would otherwise leave this waiting for ever
            raise RuntimeError(f"{len(failed)} subscribers failed: {failed[0].exception()!r}")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.5)  # let the subscriptions reach the feed before measuring memory
    after = rss_kib(pid)
    ready.set()
    print(f"{n} idle subscriptions: server RSS {before / 1024:.1f} -> {after / 1024:.1f} MiB, "
          f"{(after - before) / n:.1f} KiB per subscription (connection included)")
    for m in range(mutations):
        sent = time.monotonic()
        position = await asyncio.to_thread(_mutate, port, workshop, 100 + m)
        replied = time.monotonic() - sent
        delays = []
        while len(delays) < n:
            got, at = await asyncio.wait_for(arrivals.get(), timeout=30)
            assert got == position, (got, position)
            delays.append(at - sent)
        delays.sort()
        print(f"mutation {m + 1}: all {n} received; from sending the mutation p50 "
              f"{statistics.median(delays) * 1000:.1f} ms, p99 {delays[int(len(delays) * 0.99) - 1] * 1000:.1f} ms, "
              f"max {delays[-1] * 1000:.1f} ms (the mutation's own reply took {replied * 1000:.1f} ms; after it: "
              f"p50 {(statistics.median(delays) - replied) * 1000:.1f} ms, "
              f"p99 {(delays[int(len(delays) * 0.99) - 1] - replied) * 1000:.1f} ms)")
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _mutate(port: int, workshop: str, capacity: int) -> int:
    answer = post(port, f'mutation {{ setWorkshopCapacity(input: {{workshopId: "{workshop}", capacity: {capacity}}}) '
                        '{ __typename ... on WorkshopPayload { position } } }')
    return int(answer["data"]["setWorkshopCapacity"]["position"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--mutations", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    admin_url = os.environ.get("CITYNET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"citynet_bench_{uuid.uuid4().hex[:10]}"
    tmp = tempfile.mkdtemp()
    if args.sqlite:
        url = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"{admin_url.rpartition('/')[0]}/{name}"
    # One client opens every connection: its identity gets room for them all, and the rate limit (which
    # connection_init and subscribe messages spend) is off, as in the other benchmarks.
    env = {"CITYNET_DATABASE_URL": url, "CITYNET_MAX_CONNECTIONS_PER_IDENTITY": str(args.subscribers + 10),
           "CITYNET_RATE_LIMIT_PER_MINUTE": "0",
           "CITYNET_LOG_LEVEL": "WARNING", "CITYNET_DATA_DIR": tmp}
    try:
        assert citynet(env, "seed", "--demo").returncode == 0
        server = Server(env)
        try:
            edges = post(server.port, "{ workshops { edges { node { id status } } } }")["data"]["workshops"]["edges"]
            workshop = next(e["node"]["id"] for e in edges if e["node"]["status"] in ("SCHEDULED", "CONFIRMED"))
            asyncio.run(run(server.port, server.process.pid, workshop, args.subscribers, args.mutations))
        finally:
            server.stop()
    finally:
        if not args.sqlite:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
