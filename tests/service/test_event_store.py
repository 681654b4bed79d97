"""The event store on PostgreSQL: commands of a process commit together, connections are pinged only when
idle and replaced when the server dropped them."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

from sqlalchemy import select

from citynet.domain.errors import AlreadyExists
from citynet.services import idle_ping
from citynet.services.readmodel import tables
from citynet.services.attribution import Actor
from citynet.services.commands.directory import RegisterCity
from citynet.services.event_store import CitynetRecorder
from citynet.services.runtime import Citynet
from tests.conftest import ADMIN_URL

ADMIN = Actor("admin", "admin")

pytestmark = pytest.mark.postgres


def _held_back(recorder: CitynetRecorder, names: list[str], run: Any) -> dict[str, Any]:
    """Register these cities from threads of their own while the writer is busy, so that all their inserts
    wait and are written as one group; returns each name's outcome (or the error it got)."""
    outcomes: dict[str, Any] = {}

    def register(key: str) -> None:
        try:
            outcomes[key] = run(RegisterCity(key.split("#")[0], "DE", "Europe/Berlin"))
        except Exception as error:  # noqa: BLE001 - compared below
            outcomes[key] = error

    threads = [threading.Thread(target=register, args=(f"{name}#{i}",)) for i, name in enumerate(names)]
    with recorder._writer:  # noqa: SLF001 - another command is writing
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(recorder._waiting) < len(names) and time.monotonic() < deadline:  # noqa: SLF001
            time.sleep(0.01)
    for t in threads:
        t.join(30)
    return outcomes


def test_commands_waiting_for_the_writer_are_stored_together_each_with_its_own_positions(
        citynet_pg: Citynet) -> None:
    recorder = citynet_pg.app.recorder
    assert isinstance(recorder, CitynetRecorder)
    head, groups = citynet_pg.projections.head(), recorder.groups
    names = ["Rostock", "Liepāja", "Vienna", "Ljubljana", "Nice", "Liège", "Turin"]

    outcomes = _held_back(recorder, names, lambda c: citynet_pg.bus.run(c, actor=ADMIN))

    assert recorder.groups == groups + 1, "one transaction for the seven"
    positions = sorted(o.position for o in outcomes.values())
    # Each command stored its city and the city's name claim, and reports the position of its own last event.
    assert positions == sorted(set(positions)) and citynet_pg.projections.head() == head + 2 * len(names)
    for outcome in outcomes.values():
        city, claim = citynet_pg.app.recorder.select_notifications(outcome.position - 1, 2)
        assert city.originator_id == outcome.id and claim.id == outcome.position
    assert {n for n in names} == {r["name"] for r in _cities(citynet_pg)}


def test_a_conflict_in_a_group_fails_only_the_command_that_conflicts(citynet_pg: Citynet) -> None:
    recorder = citynet_pg.app.recorder
    head = citynet_pg.projections.head()

    outcomes = _held_back(recorder, ["Rostock", "Vienna", "Rostock", "Turin"],
                          lambda c: citynet_pg.bus.run(c, actor=ADMIN))

    failed = {k: o for k, o in outcomes.items() if isinstance(o, Exception)}
    assert len(failed) == 1 and isinstance(next(iter(failed.values())), AlreadyExists)
    assert next(iter(failed)).startswith("Rostock")
    stored = recorder.select_notifications(head, 100, inclusive_of_start=False)
    assert len(stored) == 6  # three cities, each with its name claim, once (the failed group left a gap)
    assert sorted(r["name"] for r in _cities(citynet_pg)) == ["Rostock", "Turin", "Vienna"]


def _cities(c: Citynet) -> list[dict[str, Any]]:
    c.projections.catch_up()
    with c.sync_engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(tables.cities))]


def test_busy_connections_are_not_pinged_idle_ones_are(citynet_pg: Citynet) -> None:
    check = idle_ping.install(citynet_pg.app.recorder, idle_seconds=0.3)
    assert check is not None and isinstance(citynet_pg.app.recorder, CitynetRecorder)
    # Each pooled connection is checked on its first checkout, and the pool hands them out in turn: warm
    # up until a command takes no connection for the first time.
    warm = -1
    for name in ("Kiel", "Flensburg", "Husum", "Bremen", "Emden", "Leer"):
        citynet_pg.bus.run(RegisterCity(name, "DE", "Europe/Berlin"), actor=ADMIN)
        if check.pings == warm:
            break
        warm = check.pings
    for name in ("Rostock", "Lübeck", "Wismar", "Stralsund"):
        citynet_pg.bus.run(RegisterCity(name, "DE", "Europe/Berlin"), actor=ADMIN)
    busy = check.pings - warm
    time.sleep(0.5)
    citynet_pg.bus.run(RegisterCity("Greifswald", "DE", "Europe/Berlin"), actor=ADMIN)
    assert busy <= 1, "connections handed out a moment ago are used without a ping"
    assert check.pings > warm + busy, "a connection idle for longer is pinged before use"


def test_a_command_after_the_server_dropped_every_connection_succeeds(citynet_pg: Citynet) -> None:
    idle_ping.install(citynet_pg.app.recorder, idle_seconds=0.1)
    citynet_pg.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), actor=ADMIN)
    pool = citynet_pg.app.recorder.datastore.pool  # type: ignore[attr-defined]
    dbname = citynet_pg.storage.eventsourcing_env["POSTGRES_DBNAME"]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)).fetchone()
    assert killed and killed[0] >= 1 and pool.get_stats()["pool_size"] >= 1
    time.sleep(0.3)

    outcome = citynet_pg.bus.run(RegisterCity("Rostock", "DE", "Europe/Berlin"), actor=ADMIN)

    assert outcome.position > 0
    assert citynet_pg.app.existing(outcome.id) == {outcome.id}


def test_an_insert_on_a_connection_dropped_a_moment_ago_is_retried_not_lost(citynet_pg: Citynet) -> None:
    """Within the idle time nothing is pinged: the first statement fails and the recorder retries it on
    another connection, before anything was written (the event is stored once)."""
    idle_ping.install(citynet_pg.app.recorder, idle_seconds=3600)
    citynet_pg.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), actor=ADMIN)
    dbname = citynet_pg.storage.eventsourcing_env["POSTGRES_DBNAME"]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))
    head = citynet_pg.projections.head()

    outcome = citynet_pg.bus.run(RegisterCity("Rostock", "DE", "Europe/Berlin"), actor=ADMIN)

    assert citynet_pg.projections.head() == outcome.position == head + 2  # the city and its name claim, once


@pytest.fixture
def citynet_pg(postgres_url: str) -> Citynet:
    c = Citynet(postgres_url)
    yield c  # type: ignore[misc]
    c.close()


def _answer_lost_once(recorder: CitynetRecorder, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The next insert commits, but its connection fails before the answer arrives (as when a backend is
    terminated during COMMIT)."""
    from eventsourcing.persistence import OperationalError

    calls: list[int] = []
    real = recorder._insert_once  # noqa: SLF001

    def once(stored_events: Any, **kwargs: Any) -> Any:
        calls.append(len(stored_events))
        result = real(stored_events, **kwargs)
        if len(calls) == 1:
            raise OperationalError("terminating connection due to administrator command")
        return result

    monkeypatch.setattr(recorder, "_insert_once", once)
    return calls


def test_a_command_whose_commit_answer_was_lost_is_reported_committed(
        citynet_pg: Citynet, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = citynet_pg.app.recorder
    head = citynet_pg.projections.head()
    calls = _answer_lost_once(recorder, monkeypatch)

    outcome = citynet_pg.bus.run(RegisterCity("Rostock", "DE", "Europe/Berlin"), actor=ADMIN)

    assert len(calls) == 2  # committed, then the retry found its own rows
    assert citynet_pg.projections.head() == outcome.position == head + 2  # stored once, its own position


def test_a_group_whose_commit_answer_was_lost_is_reported_committed(
        citynet_pg: Citynet, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = citynet_pg.app.recorder
    head = citynet_pg.projections.head()
    calls = _answer_lost_once(recorder, monkeypatch)
    names = ["Rostock", "Vienna", "Turin"]

    outcomes = _held_back(recorder, names, lambda c: citynet_pg.bus.run(c, actor=ADMIN))

    assert calls[0] == 2 * len(names)  # one joint insert
    assert not [o for o in outcomes.values() if isinstance(o, Exception)], outcomes
    assert sorted(o.position for o in outcomes.values()) == [head + 2, head + 4, head + 6]
    assert citynet_pg.projections.head() == head + 6
