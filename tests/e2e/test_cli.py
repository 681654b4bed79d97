"""The `citynet` command as a user runs it: seed, rebuild, serve, restart."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

QUERY = """{ networks { edges { node { shortName foundedOn
  members(first: 50) { edges { node { role memberSince city { name } } } } } } }
  bridgeCities { edges { node { name memberships { role network { shortName } } } } } }"""


def citynet(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "citynet.infra.cli", *args],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )


def free_port() -> int:
    """A free local port; within CITYNET_TEST_PORTS (e.g. "8170-8189") when set, for machines where
    several people share the port space."""
    wanted = os.environ.get("CITYNET_TEST_PORTS", "").strip()
    candidates = [0]
    if wanted:
        low, _, high = wanted.partition("-")
        candidates = list(range(int(low), int(high or low) + 1))
        random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise AssertionError(f"no free port in CITYNET_TEST_PORTS={wanted}")


def graphql(port: int, query: str) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class Server:
    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "citynet.infra.cli", "serve", "--port", str(self.port), *args],
            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"server did not become ready: {self.process.stdout.read() if self.process.stdout else ''}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:  # never leave a server behind a failed test
                self.process.kill()
                self.process.wait(timeout=15)
                raise


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if request.param == "sqlite":
        return {"CITYNET_DATA_DIR": str(tmp_path / "data"), "CITYNET_DATABASE_URL": ""}
    return {"CITYNET_DATABASE_URL": request.getfixturevalue("postgres_url")}


def test_seed_is_idempotent_and_rebuild_answers_the_same(env: dict[str, str]) -> None:
    first = citynet(env, "seed", "--demo")
    assert first.returncode == 0, first.stderr
    assert int(first.stdout.split(":")[1].split()[0]) > 50, first.stdout
    second = citynet(env, "seed", "--demo")
    assert "0 events added" in second.stdout

    server = Server(env)
    try:
        before = graphql(server.port, QUERY)
    finally:
        server.stop()
    rebuilt = citynet(env, "projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilt up to position" in rebuilt.stdout

    server = Server(env)  # a restart keeps everything
    try:
        assert graphql(server.port, QUERY) == before
    finally:
        server.stop()
    assert {e["node"]["shortName"] for e in before["data"]["networks"]["edges"]} == {"ICNCM", "UBC", "Efus"}


def test_serve_demo_serves_graphiql(env: dict[str, str]) -> None:
    server = Server(env, "--demo")
    try:
        page = urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{server.port}/graphql", headers={"accept": "text/html"}), timeout=10
        ).read().decode()
        assert "graphiql" in page.lower()
        data = graphql(server.port, "{ bridgeCities { edges { node { name } } } }")["data"]
        assert "Rostock" in {e["node"]["name"] for e in data["bridgeCities"]["edges"]}
    finally:
        server.stop()


def test_production_profile_refuses_sqlite(tmp_path: Path) -> None:
    result = citynet({"CITYNET_PROFILE": "production", "CITYNET_DATA_DIR": str(tmp_path)}, "seed", "--demo")
    assert result.returncode != 0 and "production profile needs" in result.stderr


def _tamper(env: dict[str, str], position: int) -> None:
    url = env.get("CITYNET_DATABASE_URL") or ""
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE citynet_events SET state = overlay(state placing '\\x21'::bytea from 30 for 1) "
                         "WHERE notification_id = %s", (position,))
        return
    import sqlite3

    path = Path(env["CITYNET_DATA_DIR"]) / "citynet.sqlite3"
    with sqlite3.connect(path) as conn:
        state = conn.execute("SELECT state FROM stored_events WHERE rowid = ?", (position,)).fetchone()[0]
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state[:29] + b"!" + state[30:], position))


def test_audit_commands(env: dict[str, str]) -> None:
    assert citynet(env, "seed", "--demo").returncode == 0
    verified = citynet(env, "projections", "verify")
    assert verified.returncode == 0 and "0 difference(s)" in verified.stdout, verified.stdout + verified.stderr
    exported = citynet(env, "events", "export", "--aggregate-type", "Workshop", "--event-type", "DelegateRegistered")
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert exported.returncode == 0 and len(lines) == 10 and all(e["metadata"]["command"] == "seedDemo" for e in lines)
    assert all(e["metadata"]["actor"]["id"].startswith("cli:") for e in lines)
    bad = citynet(env, "events", "export", "--since", "yesterday")
    assert bad.returncode == 2 and "--since" in bad.stderr
    intact = citynet(env, "audit", "verify")
    assert intact.returncode == 0 and "history intact" in intact.stdout
    _tamper(env, 57)
    broken = citynet(env, "audit", "verify")
    assert broken.returncode == 1 and "position 57" in broken.stderr
