"""The projection engine measured as users meet it, side by side with baselines in one run.

On PostgreSQL (CITYNET_BENCH_POSTGRES_URL, default the test server), in databases of its own:

(1) rebuild of N events (default 100,000) against a raw read of the same log;
(2) `registerCity` end to end over HTTP (a real `citynet serve` process, 8 concurrent clients)
    against bare eventsourcing `Application.save` of an equivalent aggregate with 8 threads;
(3) cross-process visibility with no header: write on server A, read on server B (p50, p99);
(4) read throughput of `serve --workers 2` against one worker (8 concurrent clients).

Usage: uv run python bench/projections.py [--events 100000] [--seconds 8] [--skip-rebuild]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator

import httpx
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from psycopg import sql

sys.path.insert(0, os.path.dirname(__file__))
from audit import fill, raw_read  # noqa: E402

from citynet.infra.auth import mint  # noqa: E402
from citynet.infra.settings import Settings  # noqa: E402
from citynet.services.rebuild import rebuild  # noqa: E402
from citynet.services.runtime import Citynet  # noqa: E402

ADMIN_URL = os.environ.get("CITYNET_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CLIENTS = 8
TOKEN = mint(Settings().token_config, subject="bench-admin", role="admin")
READ_QUERY = """{ networks(first: 50) { edges { node { id name shortName
  members(first: 100) { edges { node { role memberSince city { id name countryCode } } } } } } } }"""


@contextlib.contextmanager
def database() -> Iterator[str]:
    name = f"citynet_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


LAST_PID = 0
_ports = iter(range(int(os.environ.get("CITYNET_BENCH_PORT_BASE", "0")) or 1 << 20, 1 << 20))


def _free_port() -> int:
    """A port from CITYNET_BENCH_PORT_BASE on (a shared machine's port plan), else any free one."""
    import socket

    for candidate in _ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(url: str, *args: str) -> Iterator[int]:
    global LAST_PID
    port = _free_port()
    env = {**os.environ, "CITYNET_DATABASE_URL": url, "CITYNET_RATE_LIMIT_PER_MINUTE": "0",
           "CITYNET_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "citynet.infra.cli", "serve", "--port", str(port), *args],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    LAST_PID = process.pid
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                break
        except OSError:
            time.sleep(0.2)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(30)


# -- (1) rebuild ---------------------------------------------------------------------------------


def bench_rebuild(events: int) -> tuple[float, float]:
    with database() as url:
        citynet = Citynet(url)
        try:
            fill(citynet, events)
            n = citynet.projections.head()
            start = time.perf_counter()
            raw_read(citynet)
            raw = n / (time.perf_counter() - start)
            start = time.perf_counter()
            rebuild(citynet)
            return n / (time.perf_counter() - start), raw
        finally:
            citynet.close()


# -- (2) writes ------------------------------------------------------------------------------------


class BenchCity(Aggregate):
    def __init__(self, name: str, country_code: str, time_zone: str) -> None:
        self.name, self.country_code, self.time_zone = name, country_code, time_zone


def bare_saves(url: str, seconds: float) -> float:
    parts = url.split("://", 1)[1]
    user_host, _, dbname = parts.rpartition("/")
    host_port = user_host.split("@")[-1]
    host, _, port = host_port.partition(":")
    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": dbname,
                           "POSTGRES_HOST": host, "POSTGRES_PORT": port or "5432", "POSTGRES_USER": "postgres",
                           "POSTGRES_PASSWORD": "", "POSTGRES_POOL_SIZE": "8", "POSTGRES_MAX_OVERFLOW": "8"})
    done = [0] * CLIENTS
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        while time.monotonic() < stop:
            app.save(BenchCity(f"Bench {i}-{done[i]}", "DE", "Europe/Berlin"))
            done[i] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.close()
    return sum(done) / (time.monotonic() - start)


async def http_load(port: int, seconds: float, body: callable, ok: callable) -> float:  # type: ignore[valid-type]
    done = 0
    stop = time.monotonic() + seconds
    headers = {"authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                 limits=httpx.Limits(max_connections=CLIENTS)) as client:
        async def one(i: int) -> None:
            nonlocal done
            n = 0
            while time.monotonic() < stop:
                response = await client.post("/graphql", json=body(i, n), headers=headers)
                assert response.status_code == 200 and ok(response.json()), response.text[:300]
                done += 1
                n += 1

        start = time.monotonic()
        await asyncio.gather(*(one(i) for i in range(CLIENTS)))
        return done / (time.monotonic() - start)


def register_body(i: int, n: int) -> dict:
    return {"query": "mutation($n: String!) { registerCity(input: {name: $n, countryCode: \"DE\", "
                     "timeZone: \"Europe/Berlin\"}) { __typename } }",
            "variables": {"n": f"Load {uuid.uuid4().hex[:8]} {i} {n}"}}


def registered(body: dict) -> bool:
    return body.get("data", {}).get("registerCity", {}).get("__typename") == "RegisterCityPayload"


def bench_writes(seconds: float) -> tuple[float, float]:
    with database() as bare_url:
        bare = bare_saves(bare_url, seconds)
    with database() as url, server(url) as port:
        asyncio.run(http_load(port, 1, register_body, registered))  # warm-up
        ours = asyncio.run(http_load(port, seconds, register_body, registered))
    return ours, bare


# -- (3) cross-process visibility ----------------------------------------------------------------------


def bench_visibility(samples: int) -> list[float]:
    delays: list[float] = []
    with database() as url, server(url) as a, server(url) as b:
        headers = {"authorization": f"Bearer {TOKEN}"}
        with httpx.Client(timeout=30, headers=headers) as client:
            for i in range(samples):
                answer = client.post(f"http://127.0.0.1:{a}/graphql", json={
                    "query": "mutation($n: String!) { registerCity(input: {name: $n, countryCode: \"DE\", "
                             "timeZone: \"Europe/Berlin\"}) { ... on RegisterCityPayload { id } } }",
                    "variables": {"n": f"Seen {i} {uuid.uuid4().hex[:6]}"}}).json()
                city_id = answer["data"]["registerCity"]["id"]  # from the commit, whatever A's read models do
                written = time.monotonic()
                while True:  # the reader's own loop: how soon does B answer with A's write?
                    seen = client.post(f"http://127.0.0.1:{b}/graphql", json={
                        "query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": city_id}}).json()
                    if (seen.get("data") or {}).get("node"):
                        break
                delays.append((time.monotonic() - written) * 1000)
    return delays


# -- (4) workers ---------------------------------------------------------------------------------------


def read_body(i: int, n: int) -> dict:
    return {"query": READ_QUERY}


def bench_workers(seconds: float) -> tuple[float, float]:
    with database() as url:
        seed = subprocess.run([sys.executable, "-m", "citynet.infra.cli", "seed", "--demo"],
                              env={**os.environ, "CITYNET_DATABASE_URL": url}, capture_output=True, text=True)
        assert seed.returncode == 0, seed.stderr
        ok = lambda body: "errors" not in body  # noqa: E731
        with server(url) as port:
            asyncio.run(http_load(port, 1, read_body, ok))
            one = asyncio.run(http_load(port, seconds, read_body, ok))
        with server(url, "--workers", "2") as port:
            asyncio.run(http_load(port, 2, read_body, ok))
            two = asyncio.run(http_load(port, seconds, read_body, ok))
    return two, one


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--skip-rebuild", action="store_true")
    args = parser.parse_args()
    rows = []
    if not args.skip_rebuild:
        rebuilt, raw = bench_rebuild(args.events)
        rows.append((f"rebuild of {args.events:,} events vs raw log read", rebuilt, raw, "events/s"))
    ours, bare = bench_writes(args.seconds)
    rows.append(("registerCity over HTTP vs bare Application.save", ours, bare, "writes/s"))
    two, one = bench_workers(args.seconds)
    rows.append(("reads: serve --workers 2 vs 1 worker", two, one, "requests/s"))
    delays = sorted(bench_visibility(args.samples))
    print(f"{'pair':<52}{'citynet':>12}{'baseline':>12}{'ratio':>8}")
    for name, a, b, unit in rows:
        print(f"{name:<52}{a:>12,.0f}{b:>12,.0f}{a / b:>8.2f}  ({unit})")
    p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]  # noqa: E731
    print(f"cross-process visibility, no header ({len(delays)} writes): "
          f"p50 {statistics.median(delays):.1f} ms, p99 {p(0.99):.1f} ms, max {delays[-1]:.1f} ms")


if __name__ == "__main__":
    main()
