"""The event store's connections on PostgreSQL: pinged only when idle, replaced when the server dropped them."""

from __future__ import annotations

import time

import psycopg
import pytest

from citynet.services import idle_ping
from citynet.services.attribution import Actor
from citynet.services.commands.directory import RegisterCity
from citynet.services.event_store import CitynetRecorder
from citynet.services.runtime import Citynet
from tests.conftest import ADMIN_URL

ADMIN = Actor("admin", "admin")

pytestmark = pytest.mark.postgres


def test_busy_connections_are_not_pinged_idle_ones_are(citynet_pg: Citynet) -> None:
    check = idle_ping.install(citynet_pg.app.recorder, idle_seconds=0.3)
    assert check is not None and isinstance(citynet_pg.app.recorder, CitynetRecorder)
    citynet_pg.bus.run(RegisterCity("Kiel", "DE", "Europe/Berlin"), actor=ADMIN)
    warm = check.pings  # each pooled connection is checked on its first checkout
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
