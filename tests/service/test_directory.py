"""Service layer against real storage: commands, projections, rebuilds, concurrency."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from citynet.domain.city import City
from citynet.domain.network import network_id_for
from citynet.services.demo import load_demo
from citynet.services.errors import AlreadyExists, AlreadyMember, InvalidInput, NotAMember, NotFound
from citynet.services.readmodel import tables
from citynet.services.rebuild import rebuild
from citynet.services.runtime import Citynet


def snapshot(citynet: Citynet) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, in a stable order."""
    with citynet.sync_engine.connect() as conn:
        return {
            t.name: sorted(tuple(str(v) for v in row) for row in conn.execute(select(t)))
            for t in tables.READ_MODEL_TABLES
        }


def test_commands_are_projected_and_readable_at_once(citynet: Citynet, run) -> None:
    rostock = citynet.execute(lambda app: app.register_city("Rostock", "DE", "Europe/Berlin"))
    ubc = citynet.execute(lambda app: app.found_network("Union of the Baltic Cities", "UBC", date(1991, 9, 20)))
    admitted = citynet.execute(lambda app: app.admit_member(ubc.id, rostock.id, "founding_member", date(1991, 9, 20)))
    assert admitted.position > ubc.position > rostock.position
    # No waiting: execute returns once the read models include the command.
    members = run(citynet.reads.members_by_network([str(ubc.id)]))[str(ubc.id)]
    assert [(m.city_name, m.role, m.member_since) for m in members] == [
        ("Rostock", "founding_member", date(1991, 9, 20))
    ]


def test_refused_commands_store_nothing(citynet: Citynet) -> None:
    load_demo(citynet)
    head = citynet.projector.head()
    ubc, rostock = network_id_for("UBC"), City.create_id("Rostock", "DE", "")
    attempts = [
        (lambda app: app.register_city("Rostock", "DE", "Europe/Berlin"), AlreadyExists),
        (lambda app: app.register_city("", "DE", "Europe/Berlin"), InvalidInput),
        (lambda app: app.register_city("Atlantis", "AT", "Mars/Olympus"), InvalidInput),
        (lambda app: app.admit_member(ubc, rostock, "member", date(2020, 1, 1)), AlreadyMember),
        (lambda app: app.record_member_left(network_id_for("ICNCM"), City.create_id("Riga", "LV", ""), date(2020, 1, 1)), NotAMember),
        (lambda app: app.admit_member(network_id_for("NOPE"), rostock, "member", date(2020, 1, 1)), NotFound),
        (lambda app: app.found_network("UBC again", "ubc", date(1991, 1, 1)), AlreadyExists),
    ]
    for command, error in attempts:
        with pytest.raises(error):
            citynet.execute(command)
    assert citynet.projector.head() == head


def test_membership_history_answers_who_was_a_member_on_a_date(citynet: Citynet, run) -> None:
    load_demo(citynet)
    efus = str(network_id_for("Efus"))
    days = [date(2013, 6, 1), date(2021, 6, 1), date(1997, 1, 1)]
    found = run(citynet.reads.members_on([(efus, d) for d in days]))  # one batch, one query per day
    roles = {m.city_name: m.role for m in found[(efus, days[0])]}
    assert roles["Essen"] == "observer" and roles["Edinburgh"] == "member"
    on_2021 = {m.city_name: m.role for m in found[(efus, days[1])]}
    assert on_2021["Essen"] == "member" and "Edinburgh" not in on_2021
    assert "Turin" not in {m.city_name for m in found.get((efus, days[2]), [])}


def test_demo_is_idempotent_and_rostock_bridges_ubc_and_icncm(citynet: Citynet, run) -> None:
    assert load_demo(citynet) > 0
    head = citynet.projector.head()
    assert load_demo(citynet) == 0
    assert citynet.projector.head() == head
    rostock = str(City.create_id("Rostock", "DE", ""))
    memberships = {m.network_name: (m.role, m.member_since) for m in run(citynet.reads.memberships_by_city([rostock]))[rostock]}
    assert memberships == {
        "Union of the Baltic Cities": ("founding_member", date(1991, 9, 20)),
        "International City Network for Crisis Management": ("member", date(2016, 1, 1)),
    }
    bridges = run(citynet.reads.cities_page(50, None, min_networks=2))
    assert "Rostock" in {c.name for _, c in bridges.items}


def test_rebuild_from_zero_gives_identical_rows(citynet: Citynet) -> None:
    load_demo(citynet)
    before = snapshot(citynet)
    assert rebuild(citynet) == citynet.projector.head()
    assert snapshot(citynet) == before


def test_concurrent_writers_to_one_network_lose_nothing(citynet: Citynet, database_url: str, run) -> None:
    network = citynet.execute(lambda app: app.found_network("Test Network", "TN", date(2000, 1, 1)))
    names = [f"City {i}" for i in range(12)]
    ids = [citynet.execute(lambda app, n=n: app.register_city(n, "DE", "Europe/Berlin")).id for n in names]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(ids))
    # A second instance on the same database stands for a second server process:
    # its writers are not queued with ours, so version conflicts really happen.
    other = Citynet(database_url)

    def admit(index: int, city_id: Any) -> None:
        services = citynet if index % 2 else other
        barrier.wait()
        try:
            services.execute(lambda app: app.admit_member(network.id, city_id, "member", date(2001, 1, 1)))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=admit, args=(n, i)) for n, i in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other.close()
    citynet.projector.catch_up()
    assert errors == []
    aggregate = citynet.app.get(type(citynet.app.repository.get(network.id)), network.id)
    assert len(aggregate.members) == len(ids)
    members = run(citynet.reads.members_by_network([str(network.id)]))[str(network.id)]
    assert sorted(m.city_name for m in members) == sorted(names)
