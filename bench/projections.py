"""The projection engine measured as users meet it, side by side with baselines in one run.

On PostgreSQL (CITYNET_BENCH_POSTGRES_URL, default the test server), in databases of its own:

(1) rebuild of N events (default 100,000) against a raw read of the same log;
(2) `registerCity` end to end over HTTP (a real `citynet serve` process, 8 concurrent clients)
    against bare eventsourcing `Application.save` of an equivalent aggregate with 8 threads; also, as
    deployment figures, `serve --workers 2` and `serve --workers 2 --no-projections` beside a
    `citynet projections run` process;
(3) cross-process visibility with no header: write on server A, read on server B (p50, p99);
(4) read throughput of `serve --workers 2` against one worker (8 concurrent clients).

(2) and (4) alternate their two sides round by round (--rounds, default 2) and keep the best round of
each; (4) runs the read query uncached (every request executes it) and, if wrk is installed, drives it
with wrk so that the client does not take the core a second worker needs. Server CPU per request comes
from /proc. CITYNET_BENCH_PORT_BASE=N takes server ports from N on (20 of them).

Usage: uv run python bench/projections.py [--events 100000] [--seconds 8] [--rounds 2] [--skip-rebuild]
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
from dataclasses import dataclass, field

import httpx
import psycopg
from psycopg import sql

sys.path.insert(0, os.path.dirname(__file__))
from audit import fill, raw_read  # noqa: E402
from bare import BenchCity, bare_application  # noqa: E402

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
SERVER_PIDS: dict[int, int] = {}
PORT_BASE = int(os.environ.get("CITYNET_BENCH_PORT_BASE", "0"))  # a shared machine's port plan: 20 from here


def _free_port() -> int:
    """A free port from CITYNET_BENCH_PORT_BASE on (20 of them), else any free one."""
    import socket

    for candidate in range(PORT_BASE, PORT_BASE + 20) if PORT_BASE else ():
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
def server(url: str, *args: str, env: dict[str, str] | None = None) -> Iterator[int]:
    global LAST_PID
    port = _free_port()
    extra = env or {}
    env = {**os.environ, **extra, "CITYNET_DATABASE_URL": url, "CITYNET_RATE_LIMIT_PER_MINUTE": "0",
           "CITYNET_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "citynet.infra.cli", "serve", "--port", str(port), *args],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    LAST_PID = SERVER_PIDS[port] = process.pid
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


def bench_rebuild(events: int, rounds: int) -> tuple[float, float, float]:
    """Best of ``rounds`` (raw read, then rebuild, alternating) on one filled database.
    Returns (rebuild events/s, raw read events/s, this process's CPU seconds per rebuild)."""
    with database() as url:
        citynet = Citynet(url)
        try:
            fill(citynet, events)
            n = citynet.projections.head()
            best_raw = best = cpu = 0.0
            for _ in range(rounds):
                start = time.perf_counter()
                raw_read(citynet)
                best_raw = max(best_raw, n / (time.perf_counter() - start))
                start, cpu_start = time.perf_counter(), time.process_time()
                rebuild(citynet)
                rate = n / (time.perf_counter() - start)
                if rate > best:
                    best, cpu = rate, time.process_time() - cpu_start
            return best, best_raw, cpu
        finally:
            citynet.close()


# -- (2) writes ------------------------------------------------------------------------------------


def bare_saves(url: str, seconds: float) -> tuple[float, float]:
    """Saves/s and this process's CPU ms per save."""
    app = bare_application(url)
    done = [0] * CLIENTS
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        while time.monotonic() < stop:
            app.save(BenchCity(f"Bench {i}-{done[i]}", "DE", "Europe/Berlin"))
            done[i] += 1

    start, cpu = time.monotonic(), time.process_time()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed, cpu = time.monotonic() - start, time.process_time() - cpu
    app.close()
    return sum(done) / elapsed, cpu / max(1, sum(done)) * 1000


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


@dataclass
class Writes:
    ours: float = 0.0  # registerCity/s, one server process
    cpu_ms: float = 0.0  # its server CPU per write
    bare: float = 0.0  # Application.save/s, 8 threads
    bare_cpu_ms: float = 0.0
    two: float = 0.0  # registerCity/s, serve --workers 2
    split: float = 0.0  # registerCity/s, serve --workers 2 --no-projections and a `projections run` process
    floor: float = 0.0  # the same stack's empty mutation/s (bench/floor_app.py)
    ceiling: dict[tuple[int, bool], float] = field(default_factory=dict)  # bare saves/s behind that stack,
    # by (processes, on the event loop rather than in a worker thread)


def bench_writes(seconds: float, rounds: int) -> Writes:
    """Rounds alternate bare saves and HTTP mutations (one server process, `serve --workers 2`, with and
    without projections, and with wrk the bare save behind the same stack, 1 and 2 processes); best round
    of each, since the machine's speed drifts. The floor (an empty mutation on the same stack, one
    process) is taken once."""
    import shutil

    use_wrk = shutil.which("wrk") is not None
    if not use_wrk:
        print("wrk not found (apt-get install -y wrk): writes driven by httpx, which takes CPU the server needs")
    w = Writes()
    with contextlib.ExitStack() as stack:
        def serve(*args: str) -> int:
            url = stack.enter_context(database())
            port = stack.enter_context(server(url, *args))
            if "--no-projections" in args:
                stack.enter_context(projector(url))
            return port

        port, two, split = serve(), serve("--workers", "2"), serve("--workers", "2", "--no-projections")
        # the most any registerCity behind this stack could reach: the baseline's save, nothing of citynet's
        ceilings = {(n, on_loop): stack.enter_context(floor_server(stack.enter_context(database()), n, on_loop))
                    for on_loop in (False, True) for n in (1, 2)}
        pid = SERVER_PIDS[port]
        for p in (port, two, split, *ceilings.values()):
            asyncio.run(http_load(p, 1, register_body, registered))  # warm-up: every worker has its pools
        for _ in range(rounds):
            with database() as bare_url:
                bare, bare_cpu = bare_saves(bare_url, seconds)
                if bare > w.bare:
                    w.bare, w.bare_cpu_ms = bare, bare_cpu
            before = server_cpu(pid)
            if use_wrk:
                ours = wrk_writes(port, seconds)
            else:
                ours = asyncio.run(http_load(port, seconds, register_body, registered))
            if ours > w.ours:
                w.ours, w.cpu_ms = ours, (server_cpu(pid) - before) / max(1.0, ours * seconds) * 1000
            if use_wrk:
                w.two = max(w.two, wrk_writes(two, seconds))
                w.split = max(w.split, wrk_writes(split, seconds))
                for kind, ceiling_port in ceilings.items():
                    w.ceiling[kind] = max(w.ceiling.get(kind, 0.0), wrk_writes(ceiling_port, seconds))
    if use_wrk:
        with floor_server() as port:
            w.floor = wrk_writes(port, seconds)
    return w


@contextlib.contextmanager
def projector(url: str) -> Iterator[None]:
    """`citynet projections run` on its own, beside servers started with --no-projections."""
    env = {**os.environ, "CITYNET_DATABASE_URL": url, "CITYNET_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "citynet.infra.cli", "projections", "run"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        with psycopg.connect(url, autocommit=True) as conn:  # running once it holds its leases
            while time.monotonic() < deadline and not conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'citynet-leases'").fetchone()[0]:
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(30)


@contextlib.contextmanager
def floor_server(save_url: str | None = None, workers: int = 1, on_loop: bool = False) -> Iterator[int]:
    """bench/floor_app.py under uvicorn: the empty mutation, or with ``save_url`` the bare save behind it
    (``on_loop``: run on the event loop, one save at a time per process, so a pool of 2 is plenty)."""
    port = _free_port()
    env = {**os.environ, **({"CITYNET_FLOOR_SAVE_URL": save_url} if save_url else {}),
           **({"CITYNET_FLOOR_ON_LOOP": "1", "CITYNET_FLOOR_POOL": "2"} if on_loop else {})}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor_app:app", "--port", str(port),
                                "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
                               cwd=os.path.dirname(__file__), env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql", data=b'{"query":"{ ok }"}',
                    headers={"Content-Type": "application/json"}), timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(30)


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


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a server process and its children (uvicorn's workers)."""
    total, pending = 0.0, [pid]
    while pending:
        p = pending.pop()
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in os.listdir(f"/proc/{p}/task"):
                pending += [int(c) for c in open(f"/proc/{p}/task/{task}/children").read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def wrk_reads(port: int, seconds: float) -> float:
    """Requests/s of the read query from wrk (8 connections, one thread): a C client, so that on a
    2-core machine the load generator does not take the core a second worker needs."""
    import json
    import re
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                     f'wrk.headers["Authorization"] = "Bearer {TOKEN}"\n'
                     f"wrk.body = {json.dumps(json.dumps({'query': READ_QUERY}))}\n")
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{CLIENTS}", f"-d{max(1, round(seconds))}s", "-s", script.name,
                              f"http://127.0.0.1:{port}/graphql"], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"failed requests:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def wrk_writes(port: int, seconds: float) -> float:
    """registerCity/s from wrk (bench/register_city.lua: a unique name per request, 8 connections, 2
    threads): a C client takes next to no CPU, where httpx in this process took about as much per request
    as the server's HTTP layer, on the same two cores as the server and PostgreSQL."""
    import re

    out = subprocess.run(["wrk", "-t2", f"-c{CLIENTS}", f"-d{max(1, round(seconds))}s",
                          "-s", os.path.join(os.path.dirname(__file__), "register_city.lua"),
                          f"http://127.0.0.1:{port}/graphql"], capture_output=True, text=True, check=True,
                         env={**os.environ, "CITYNET_BENCH_TOKEN": TOKEN}).stdout
    failed = int(re.search(r"failed (\d+)", out).group(1))  # type: ignore[union-attr]
    if failed or "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"{failed} registerCity requests failed:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


def bench_workers(seconds: float, rounds: int) -> tuple[float, float, float, float]:
    """Uncached reads (CITYNET_RESPONSE_CACHE_SIZE=0: every request executes the query; cached answers
    would measure the client), one worker against two, rounds alternating, best round of each.
    Returns (two, one, server CPU ms per request with two, with one)."""
    import shutil

    use_wrk = shutil.which("wrk") is not None
    if not use_wrk:
        print("wrk not found (apt-get install -y wrk): reads driven by httpx, which may measure the client")
    best: dict[int, tuple[float, float]] = {}
    with database() as url:
        seed = subprocess.run([sys.executable, "-m", "citynet.infra.cli", "seed", "--demo"],
                              env={**os.environ, "CITYNET_DATABASE_URL": url}, capture_output=True, text=True)
        assert seed.returncode == 0, seed.stderr
        ok = lambda body: "errors" not in body  # noqa: E731
        env = {"CITYNET_RESPONSE_CACHE_SIZE": "0"}
        with server(url, env=env) as one_port, server(url, "--workers", "2", env=env) as two_port:
            pids = {1: SERVER_PIDS[one_port], 2: SERVER_PIDS[two_port]}
            ports = {1: one_port, 2: two_port}
            for workers in (1, 2):  # warm-up: every worker has built its schema and pools
                asyncio.run(http_load(ports[workers], 2, read_body, ok))
            for _ in range(rounds):
                for workers in (1, 2):
                    before = server_cpu(pids[workers])
                    if use_wrk:
                        rate = wrk_reads(ports[workers], seconds)
                    else:
                        rate = asyncio.run(http_load(ports[workers], seconds, read_body, ok))
                    cpu_ms = (server_cpu(pids[workers]) - before) / max(1.0, rate * seconds) * 1000
                    if rate > best.get(workers, (0.0, 0.0))[0]:
                        best[workers] = (rate, cpu_ms)
    return best[2][0], best[1][0], best[2][1], best[1][1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per pair; the best counts")
    parser.add_argument("--skip-rebuild", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    lines = []

    def line(name: str, ours: float, base: float, unit: str, target: str, ok: bool | None, note: str = "") -> None:
        verdict = "    " if ok is None else "met " if ok else "MISS"
        lines.append(f"{name:<62}{ours:>10,.0f}{base:>11,.0f}{ours / base:>7.2f}  {verdict} "
                     f"{target}{f'  [{note}]' if note else ''}  ({unit})")

    if not args.skip_rebuild:
        rebuilt, raw, cpu = bench_rebuild(args.events, args.rounds)
        line(f"rebuild of {args.events:,} events vs raw log read", rebuilt, raw, "events/s",
             ">= 25,000/s and >= 0.15x", rebuilt >= 25_000 and rebuilt / raw >= 0.15, f"client CPU {cpu:.1f} s")
    w = bench_writes(args.seconds, args.rounds)
    line("registerCity over HTTP vs bare Application.save", w.ours, w.bare, "writes/s", ">= 0.5x",
         w.ours / w.bare >= 0.5, f"server CPU {w.cpu_ms:.1f} ms/write; bare {w.bare_cpu_ms:.1f}")
    if w.two:
        line("  the same, serve --workers 2", w.two, w.bare, "writes/s", "(deployment figure)", None)
    if w.split:
        line("  the same, serve --workers 2 --no-projections", w.split, w.bare, "writes/s",
             "(deployment figure)", None, "with a `projections run` process")
    if w.floor:
        # One process at one core: the stack's floor and a bare save's CPU, with nothing else, allow at most
        # this many writes/s; what citynet does besides (uniqueness, name claim, attribution, three
        # projections, the audit chain, read-your-writes) has to fit in what is left.
        ceiling = 1000 / (1000 / w.floor + w.bare_cpu_ms)
        line("  floor: empty mutation, same stack, 1 process", w.floor, w.bare, "requests/s", "(no target)", None,
             f"floor + bare save CPU allow {ceiling:,.0f}/s = {ceiling / w.bare:.2f}x")
    for (workers, on_loop), rate in w.ceiling.items():
        # Measured, not computed: the baseline's own save behind uvicorn, Litestar and strawberry, with
        # nothing of citynet's own. In a worker thread, as citynet runs its commands (so that a save never
        # holds up the reads and live streams of its process), no registerCity served so can pass it. On
        # the event loop the writes alone go faster, with every other request of the process waiting.
        ours = ("" if on_loop else f"registerCity at {w.ours / rate:.2f} of it" if workers == 1 else
                f"--workers 2 at {w.two / rate:.2f}, with --no-projections at {w.split / rate:.2f} of it")
        how = "on the event loop" if on_loop else "in a worker thread"
        line(f"  ceiling: bare save, same stack, {workers} proc, {how}", rate, w.bare, "writes/s", "(no target)",
             None, ours)
    two, one, cpu_two, cpu_one = bench_workers(args.seconds, args.rounds)
    line("uncached reads: serve --workers 2 vs 1 worker", two, one, "requests/s", ">= 1.6x", two / one >= 1.6,
         f"server CPU {cpu_two:.1f} / {cpu_one:.1f} ms/request")
    delays = sorted(bench_visibility(args.samples))
    p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]  # noqa: E731
    print(f"{'pair':<62}{'citynet':>10}{'baseline':>11}{'ratio':>7}  target")
    for text in lines:
        print(text)
    print(f"cross-process visibility, no header ({len(delays)} writes): p50 {statistics.median(delays):.1f} ms, "
          f"p99 {p(0.99):.1f} ms, max {delays[-1]:.1f} ms  {'met ' if p(0.99) <= 50 else 'MISS'} p99 <= 50 ms")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
