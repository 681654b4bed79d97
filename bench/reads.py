"""Read benchmark over real HTTP: GraphQL "networks with their members" against a plain Litestar +
psycopg endpoint serving the same rows as JSON, side by side in one run.

Each server is its own process (uvicorn, one worker); wrk drives it with 8 concurrent connections.
Scenarios, each against the plain baseline measured in the same rounds:
  off   POST, response cache off (CITYNET_RESPONSE_CACHE_SIZE=0): the query executes every time
  on    POST, response cache on: repeats are answered from the cache
  etag  GET with If-None-Match of the current ETag: answered 304

Usage: uv run python bench/reads.py [--seconds 10] [--rounds 2]
PostgreSQL from CITYNET_BENCH_POSTGRES_URL (default: the test server); a database of its own is
created and dropped. Needs wrk (apt-get install wrk). Per scenario the best round is reported
(the machine is shared: the best round is the least disturbed one).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get(
    "CITYNET_BENCH_POSTGRES_URL",
    os.environ.get("CITYNET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)
QUERY = ("{ networks(first: 50) { edges { node { id name shortName foundedOn members(first: 100) { edges { node { "
         "role memberSince city { id name countryCode timeZone } } } } } } } }")
CONNECTIONS = 8


PORTS: list[int] = []  # --port-base: take ports from here instead of free ones


def free_port() -> int:
    if PORTS:
        return PORTS.pop(0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server(str):
    """A server's base URL that also knows its process (for its CPU time)."""

    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (from /proc: robust to other load)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(app: str, env: dict[str, str], factory: bool = False) -> Iterator[Server]:
    """A uvicorn process with one worker; yields its base URL once its startup completed."""
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--workers", "1", "--no-access-log",
            "--log-level", "info", *(["--factory"] if factory else [])]
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:  # wait for the server to say it is ready, not by polling
        lines.append(line)
        if "Uvicorn running on" in line:  # after the start-up and the bind (start-up complete comes before the bind)
            break
    else:
        raise RuntimeError("server did not start:\n" + "".join(lines[-30:]))
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()  # keep the pipe drained
    url = Server(f"http://127.0.0.1:{port}")
    url.pid = proc.pid
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wrk(url: str, seconds: int, script: str | None = None, headers: dict[str, str] | None = None) -> tuple[float, int]:
    """Requests per second and the number of requests served."""
    args = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for k, v in (headers or {}).items():
        args += ["-H", f"{k}: {v}"]
    if script:
        args += ["-s", script]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"failed requests:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return rate, int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]


def measured(target: Server, run: Any) -> tuple[float, float]:
    """(requests/s, server CPU ms per request) of one wrk run against ``target``."""
    before = target.cpu_seconds()
    rate, count = run()
    return rate, (target.cpu_seconds() - before) * 1000 / max(count, 1)


def post_script(directory: str, language: str | None = None) -> str:
    path = Path(directory) / ("post.lua" if language is None else "post-lang.lua")
    extra = f'wrk.headers["Accept-Language"] = "{language}"\n' if language else ""
    path.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n' + extra +
                    f"wrk.body = {json.dumps(json.dumps({'query': QUERY}))}\n")
    return str(path)


def check_same_rows(graphql: str, plain: str) -> None:
    request = urllib.request.Request(f"{graphql}/graphql", data=json.dumps({"query": QUERY}).encode(),
                                     headers={"Content-Type": "application/json"})
    data = json.loads(urllib.request.urlopen(request).read())
    assert "errors" not in data, data
    ours = [len(e["node"]["members"]["edges"]) for e in data["data"]["networks"]["edges"]]
    theirs = [len(n["members"]) for n in json.loads(urllib.request.urlopen(f"{plain}/plain/networks").read())]
    assert ours == theirs and sum(ours) > 0, (ours, theirs)


def etag_of(graphql: str) -> tuple[str, str]:
    url = f"{graphql}/graphql?" + urllib.parse.urlencode({"query": QUERY})
    response = urllib.request.urlopen(url)
    tag = response.headers["ETag"]
    try:
        urllib.request.urlopen(urllib.request.Request(url, headers={"If-None-Match": tag}))
        raise AssertionError("expected 304")
    except urllib.error.HTTPError as e:
        assert e.code == 304, e.code
    return url, tag


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port-base", type=int, default=0,
                        help="serve on ports from here (three in a row) instead of free ones")
    args = parser.parse_args()
    if args.port_base:
        PORTS.extend(range(args.port_base, args.port_base + 3))
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")

    name = f"citynet_bench_{uuid.uuid4().hex[:8]}"
    base, _, _ = ADMIN_URL.rpartition("/")
    url = f"{base}/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    # No rate limit, as the baseline has none (Litestar's limiter keeps every request time of the window:
    # at benchmark rates that list, not the API, would be measured).
    env = {"CITYNET_DATABASE_URL": url, "CITYNET_RATE_LIMIT_PER_MINUTE": "0", "CITYNET_LOG_LEVEL": "WARNING"}
    try:
        subprocess.run([sys.executable, "-c", "from citynet.infra.cli import main; main()", "seed", "--demo"],
                       cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True)
        best: dict[str, float] = {}
        cpu: dict[str, float] = {}
        with tempfile.TemporaryDirectory() as tmp, \
                server("bench.plain_reads:app", env) as plain, \
                server("citynet.infra.app:app_from_env", {**env, "CITYNET_RESPONSE_CACHE_SIZE": "0"}, True) as off, \
                server("citynet.infra.app:app_from_env", env, True) as on:
            check_same_rows(off, plain)
            check_same_rows(on, plain)
            script = post_script(tmp)
            lang_script = post_script(tmp, "de-AT, de;q=0.9, en;q=0.5")  # issue 13: lang set
            get_url, tag = etag_of(on)
            for _ in range(args.rounds):
                runs = {
                    "plain": (plain, lambda: wrk(f"{plain}/plain/networks", args.seconds)),
                    "off": (off, lambda: wrk(f"{off}/graphql", args.seconds, script)),
                    "off_lang": (off, lambda: wrk(f"{off}/graphql", args.seconds, lang_script)),
                    "on": (on, lambda: wrk(f"{on}/graphql", args.seconds, script)),
                    "etag": (on, lambda: wrk(get_url, args.seconds, headers={"If-None-Match": tag})),
                }
                for key, (target, run) in runs.items():
                    rate, ms = measured(target, run)
                    best[key] = max(best.get(key, 0.0), rate)
                    cpu[key] = min(cpu.get(key, float("inf")), ms)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    print(f"{CONNECTIONS} concurrent clients (wrk), one worker per server, best of {args.rounds} x {args.seconds}s")
    print(f"{'scenario':<52}{'req/s':>10}{'ratio':>8}{'CPU ms/req':>12}")
    print(f"{'plain Litestar + psycopg (baseline)':<52}{best['plain']:>10.0f}{1:>8.2f}{cpu['plain']:>12.2f}")
    for key, label in (("off", "GraphQL POST, response cache off (target >= 0.25)"),
                       ("on", "GraphQL POST, response cache on (target >= 0.5)"),
                       ("etag", "GraphQL GET, If-None-Match -> 304 (target >= 0.9)")):
        print(f"{label:<52}{best[key]:>10.0f}{best[key] / best['plain']:>8.2f}{cpu[key]:>12.2f}")
    print(f"{'GraphQL POST, cache off, Accept-Language set':<52}{best['off_lang']:>10.0f}"
          f"{best['off_lang'] / best['plain']:>8.2f}{cpu['off_lang']:>12.2f}"
          f"   vs without: {best['off_lang'] / best['off']:.2f} (target >= 0.9)")
    print("CPU ms/req: the server process's user + system time per request (lowest round); the ratio of these")
    print("is what a quiet machine's req/s ratio tends to, whatever else loads the cores.")
    print(f"load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")

if __name__ == "__main__":
    main()
