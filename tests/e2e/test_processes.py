"""Many processes on one database: API servers without projections, a projections worker that
can be killed and replaced, a poisoned event named by `projections status`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from citynet.infra.auth import mint
from citynet.infra.settings import Settings
from citynet.services.runtime import Citynet
from tests.e2e.test_cli import Server, citynet

ADMIN = mint(Settings().token_config, subject="e2e-admin", role="admin")


def post(port: int, query: str, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {ADMIN}", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def city_count(port: int) -> int:
    return post(port, "{ cities { totalCount } }")["data"]["cities"]["totalCount"]


def register(port: int, name: str) -> int:
    answer = post(port, f'mutation {{ registerCity(input: {{name: "{name}", countryCode: "DE", '
                        f'timeZone: "Europe/Berlin"}}) {{ __typename ... on RegisterCityPayload {{ position }} }} }}')
    result = answer["data"]["registerCity"]
    assert result["__typename"] == "RegisterCityPayload", answer
    return int(result["position"])


def until(check: Any, seconds: float) -> float:
    """Seconds until ``check()`` holds (the test's own clock: the servers wait on notifications)."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < seconds, "not within the time allowed"
        time.sleep(0.01)
    return time.monotonic() - start


def worker(env: dict[str, str]) -> subprocess.Popen[str]:
    """A `projections run` process, returned once it holds the lease of every projection."""
    process = subprocess.Popen([sys.executable, "-m", "citynet.infra.cli", "projections", "run"],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               text=True)
    dbname = env["CITYNET_DATABASE_URL"].rpartition("/")[2]
    with psycopg.connect(env["CITYNET_DATABASE_URL"], autocommit=True) as conn:
        until(lambda: conn.execute("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                                   "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = %s",
                                   (dbname,)).fetchone()[0] >= 5, 60)
    return process


@pytest.mark.postgres
def test_two_api_servers_and_a_replaceable_projections_worker(postgres_url: str) -> None:
    env = {"CITYNET_DATABASE_URL": postgres_url, "CITYNET_PROJECTION_POLL_SECONDS": "5"}
    assert citynet(env, "seed", "--demo").returncode == 0
    first_worker = worker(env)
    a = Server(env, "--no-projections")
    b = Server(env, "--no-projections")
    try:
        before = city_count(b.port)
        register(a.port, "Gdańsk")
        # B sees A's write with no header and no poll (the poll is 5 s here): pushed by NOTIFY.
        assert until(lambda: city_count(b.port) == before + 1, 3) < 2
        first_worker.send_signal(signal.SIGKILL)
        first_worker.wait(10)
        replacement = worker(env)
        try:
            register(a.port, "Klaipėda")
            until(lambda: city_count(b.port) == before + 2, 20)
        finally:
            replacement.terminate()
            replacement.wait(15)
        status = citynet(env, "projections", "status", "--json")
        assert status.returncode == 0, status.stdout + status.stderr
        assert {p["state"] for p in json.loads(status.stdout)} == {"current"}
        chain = citynet(env, "audit", "verify")
        assert chain.returncode == 0 and "history intact" in chain.stdout, chain.stdout + chain.stderr
    except BaseException:
        for server in (a, b):
            server.stop()
            print(server.process.stdout.read() if server.process.stdout else "")  # shown on failure
        raise
    finally:
        a.stop()
        b.stop()
        if first_worker.poll() is None:
            first_worker.kill()


def test_a_poisoned_event_is_named_and_the_rest_goes_on(database_url: str, tmp_path: Path) -> None:
    """An event no projection can read (stored by a broken release, say) stalls only the read
    model it belongs to; `projections status` names it; a restart does not fail; commands go on."""
    env = {"CITYNET_DATABASE_URL": database_url}
    services = Citynet(database_url)
    try:
        city = services.execute(lambda app: app.register_city("Rostock", "DE", "Europe/Berlin"))
        services.app.recorder.insert_events([StoredEvent(
            originator_id=uuid.uuid4(), originator_version=1,
            topic="citynet.domain.city:City.Registered", state=b"{not json")])
        poisoned = services.projections.head()
        after = services.execute(lambda app: app.register_city("Vienna", "AT", "Europe/Vienna"))
        assert after.position > poisoned > city.position
    finally:
        services.close()
    status = citynet(env, "projections", "status")
    assert status.returncode == 1
    assert f"stalled at event {poisoned}" in status.stdout and "directory" in status.stdout, status.stdout
    assert "event_log" in status.stdout
    rebuilt = citynet(env, "projections", "rebuild")  # rebuilds what it can, names what it cannot
    assert rebuilt.returncode == 1
    assert f"directory cannot apply the event at position {poisoned}" in rebuilt.stderr, rebuilt.stderr
    restarted = Citynet(database_url)  # a restart does not fail on the poisoned event
    try:
        states = {s.name: s for s in restarted.projections.status()}
        assert states["directory"].stalled_at == poisoned
        assert states["workshops"].state == "current" and states["audit_chain"].state == "current"
        assert restarted.execute(lambda app: app.register_city("Ljubljana", "SI", "Europe/Ljubljana")).position
    finally:
        restarted.close()
