"""The read model projected from a generated history says what the aggregates say.

Hypothesis generates command sequences (refused ones included) for a network
and a workshop, runs them through the service layer on SQLite, and compares
every projected row with the aggregates folded from the same events. The
projections are the same code on PostgreSQL; SQLite keeps this test fast.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from citynet.domain.errors import DomainError
from citynet.domain.network import Network
from citynet.domain.workshop import Workshop
from citynet.services.clock import FixedClock
from citynet.services.readmodel import tables
from citynet.services.membership_record import periods_known_at
from citynet.services.runtime import Citynet

CITIES = [("Rostock", "DE", "Europe/Berlin"), ("Vienna", "AT", "Europe/Vienna"), ("Riga", "LV", "Europe/Riga"),
          ("Ljubljana", "SI", "Europe/Ljubljana")]
day = st.integers(0, 30).map(lambda n: date(2019, 1, 1) + timedelta(days=61 * n))

network_command = st.one_of(
    st.tuples(st.just("admit"), st.integers(0, 3), st.sampled_from(["member", "observer", "lead_partner"]), day),
    st.tuples(st.just("role"), st.integers(0, 3), st.sampled_from(["member", "observer", "lead_partner"]), day),
    st.tuples(st.just("leave"), st.integers(0, 3), day),
    st.tuples(st.just("commission"), st.sampled_from(["Safe", "Cultural"])),
    st.tuples(st.just("assign"), st.integers(0, 3), st.sampled_from(["Safe", "Cultural"])),
    st.tuples(st.just("head"), st.integers(0, 3), st.sampled_from(["Safe", "Cultural"])),
)
workshop_command = st.one_of(
    st.tuples(st.just("register"), st.integers(0, 3), st.integers(0, 5)),
    st.tuples(st.just("withdraw"), st.integers(0, 9)),
    st.tuples(st.just("capacity"), st.integers(1, 4)),
    st.tuples(st.just("quota"), st.integers(0, 3), st.one_of(st.none(), st.integers(0, 2))),
    st.tuples(st.just("reschedule"), st.integers(1, 40)),
)


def _network_step(app: Any, network: UUID, cities: list[UUID], command: tuple[Any, ...]) -> None:
    kind = command[0]
    commission_ids = {c.name: c.id for c in app.get(Network, network).commissions.values()}
    if kind == "admit":
        app.admit_member(network, cities[command[1]], command[2], command[3])
    elif kind == "role":
        app.change_member_role(network, cities[command[1]], command[2], command[3])
    elif kind == "leave":
        app.record_member_left(network, cities[command[1]], command[2])
    elif kind == "commission":
        app.add_commission(network, command[1])
    elif command[2] in commission_ids:
        if kind == "assign":
            app.assign_commission_member(network, commission_ids[command[2]], cities[command[1]])
        else:
            app.name_commission_head(network, commission_ids[command[2]], cities[command[1]])


def _workshop_step(citynet: Citynet, workshop: UUID, cities: list[UUID], command: tuple[Any, ...]) -> None:
    kind = command[0]
    if kind == "register":
        citynet.register_delegate(workshop, cities[command[1]], f"Delegate {command[2]}",
                                  f"d{command[2]}@example.org", "police")
    elif kind == "withdraw":
        registrations = sorted(citynet.app.get(Workshop, workshop).registrations, key=str)
        if registrations:
            rid = registrations[command[1] % len(registrations)]
            citynet.execute(lambda app: app.withdraw_registration(workshop, rid))
    elif kind == "capacity":
        citynet.execute(lambda app: app.set_workshop_capacity(workshop, command[1], "move_to_waitlist"))
    elif kind == "quota":
        citynet.execute(lambda app: app.set_city_quota(workshop, cities[command[1]], command[2]))
    else:
        start = date(2026, 9, 1) + timedelta(days=command[1])
        citynet.execute(lambda app: app.reschedule_workshop(workshop, start, start + timedelta(days=2), "moved"))


def _rows(citynet: Citynet, table: Any, *where: Any) -> list[Any]:
    with citynet.sync_engine.connect() as conn:
        return list(conn.execute(select(table).where(*where)))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(network_commands=st.lists(network_command, max_size=14), workshop_commands=st.lists(workshop_command, min_size=3, max_size=14))
def test_projected_rows_equal_the_aggregates(network_commands: list[tuple[Any, ...]],
                                             workshop_commands: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        citynet = Citynet(f"sqlite:///{Path(tmp) / 'fold.sqlite3'}", clock=FixedClock())
        try:
            _check(citynet, network_commands, workshop_commands)
        finally:
            citynet.close()


def _check(citynet: Citynet, network_commands: list[tuple[Any, ...]], workshop_commands: list[tuple[Any, ...]]) -> None:
    cities = [citynet.execute(lambda app, c=c: app.register_city(*c)).id for c in CITIES]
    network = citynet.execute(lambda app: app.found_network("Union of the Baltic Cities", "UBC", date(1991, 9, 20))).id
    for i in range(2):  # two members to start from, so that the workshop has partners
        citynet.execute(lambda app, i=i: app.admit_member(network, cities[i], "member", date(2000, 1, 1)))
    for command in network_commands:
        try:
            citynet.execute(lambda app, command=command: _network_step(app, network, cities, command))
        except DomainError:
            pass
    # A workshop among whichever cities are members now.
    members = list(citynet.app.get(Network, network).members)
    if members:
        workshop = citynet.execute(lambda app: app.propose_workshop(
            title="Drill", topic="flood", network_ids=[network], partner_city_ids=members, host_city_id=members[0],
            venue="Hall", capacity=3)).id
        citynet.execute(lambda app: app.schedule_workshop(workshop, date(2026, 8, 1), date(2026, 8, 3)))
        member_indexes = [cities.index(m) for m in members]
        # A full workshop with a waitlist to start from, so that the random steps promote and demote.
        for command in [("register", i, 10 + i) for i in range(4)] + workshop_commands:
            if command[0] in ("register", "quota"):
                command = (command[0], member_indexes[command[1] % len(member_indexes)], *command[2:])
            try:
                _workshop_step(citynet, workshop, cities, command)
            except DomainError:
                pass
        w = citynet.app.get(Workshop, workshop)
        rows = {r.id: r for r in _rows(citynet, tables.registrations, tables.registrations.c.workshop_id == str(workshop))}
        assert {rid: r.status for rid, r in rows.items()} == {str(r.id): r.status.value for r in w.registrations.values()}
        assert {rid: r.arrival for rid, r in rows.items()} == {str(r.id): r.arrival for r in w.registrations.values()}
        (row,) = _rows(citynet, tables.workshops, tables.workshops.c.id == str(workshop))
        assert (row.capacity, row.status, row.sequence) == (w.capacity, w.status.value, w.sequence)
        assert w.dates is not None and (row.start_date, row.end_date) == (w.dates.start, w.dates.end)
        quotas = {r.city_id: r.quota for r in _rows(citynet, tables.city_quotas,
                                                    tables.city_quotas.c.workshop_id == str(workshop))}
        assert quotas == {str(c): q for c, q in w.quotas.items()}

    n = citynet.app.get(Network, network)
    projected = {r.city_id: (r.role, r.member_since, r.role_since)
                 for r in _rows(citynet, tables.memberships, tables.memberships.c.network_id == str(network))}
    assert projected == {str(c): (m.role.value, m.member_since, m.role_since) for c, m in n.members.items()}
    open_periods = {r.city_id: r.role for r in _rows(citynet, tables.membership_periods,
                                                     tables.membership_periods.c.network_id == str(network))
                    if r.valid_to is None}
    assert open_periods == {str(c): m.role.value for c, m in n.members.items()}
    # Record time: what citynet has recorded by now (knownAt later than every event) is the read model's history.
    periods = sorted((r.city_id, r.role, r.member_since, r.valid_from, r.valid_to)
                     for r in _rows(citynet, tables.membership_periods,
                                    tables.membership_periods.c.network_id == str(network)))
    known = periods_known_at(citynet.app, network, datetime.now(timezone.utc) + timedelta(days=1))
    assert sorted((p.city_id, p.role, p.member_since, p.valid_from, p.valid_to) for p in known) == periods
    assert periods_known_at(citynet.app, network, datetime(2000, 1, 1, tzinfo=timezone.utc)) == []
    heads = {r.id: r.head_city_id for r in _rows(citynet, tables.commissions, tables.commissions.c.network_id == str(network))}
    assert heads == {str(c.id): (str(c.head_city_id) if c.head_city_id else None) for c in n.commissions.values()}
    for c in n.commissions.values():
        workers = {r.city_id for r in _rows(citynet, tables.commission_members,
                                            tables.commission_members.c.commission_id == str(c.id))}
        assert workers == {str(x) for x in c.member_city_ids}


# -- projects ---------------------------------------------------------------------------------------

project_day = st.integers(-20, 800).map(lambda n: date(2024, 1, 1) + timedelta(days=n))
project_command = st.one_of(
    st.tuples(st.just("admit"), st.integers(0, 3), st.sampled_from(["partner", "lead_partner", "expert"]),
              project_day, st.one_of(st.none(), st.integers(0, 300))),
    st.tuples(st.just("end"), st.integers(0, 3), project_day),
    st.tuples(st.just("lead"), st.integers(0, 3), st.one_of(st.none(), project_day)),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands=st.lists(project_command, min_size=2, max_size=16))
def test_projected_partnerships_equal_the_project(commands: list[tuple[Any, ...]]) -> None:
    from citynet.domain.project import Project

    with tempfile.TemporaryDirectory() as tmp:
        citynet = Citynet(f"sqlite:///{Path(tmp) / 'fold.sqlite3'}", clock=FixedClock())
        try:
            cities = [citynet.execute(lambda app, c=c: app.register_city(*c)).id for c in CITIES]
            project = citynet.execute(lambda app: app.found_project(
                name="Test", acronym="T", objectives="", start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))).id
            for command in commands:
                kind, city = command[0], cities[command[1]]
                try:
                    if kind == "admit":
                        until = None if command[4] is None else command[3] + timedelta(days=command[4])
                        citynet.execute(lambda app: app.admit_project_partner(
                            project, party_kind="city", party_id=city, role=command[2], since=command[3], until=until))
                    elif kind == "end":
                        citynet.execute(lambda app: app.end_project_partnership(project, city, command[2]))
                    else:
                        citynet.execute(lambda app: app.name_lead_partner(project, city, command[2]))
                except DomainError:
                    pass
            citynet.projector.wait_for(citynet.projector.head(), 10)
            p = citynet.app.get(Project, project)
            rows = _rows(citynet, tables.project_partners, tables.project_partners.c.project_id == str(project))
            assert {(r.partnership_id, r.party_id, r.role, r.since, r.until) for r in rows} == {
                (str(a.id), str(a.party.id), a.role.value, a.since, a.until) for a in p.partnerships}
        finally:
            citynet.close()
