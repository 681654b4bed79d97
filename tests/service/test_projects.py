"""Projects end to end in the service layer, on SQLite and PostgreSQL: commands, rules, the read model."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select

from citynet.domain import errors as domain
from citynet.domain.network import network_id_for
from citynet.domain.project import OutputKind, project_id_for
from citynet.services.attribution import Actor
from citynet.services.commands import projects as pr
from citynet.services.commands import workshops as w
from citynet.services.readmodel.tables import project_partners, projects, workshops
from citynet.services.runtime import Citynet

UBC, ICNCM, EFUS = network_id_for("UBC"), network_id_for("ICNCM"), network_id_for("Efus")


def _setup(c: Citynet) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    for name, cc, tz in [("Rostock", "DE", "Europe/Berlin"), ("Vienna", "AT", "Europe/Vienna"),
                         ("Riga", "LV", "Europe/Riga"), ("Nice", "FR", "Europe/Paris")]:
        from citynet.services.commands import directory as d

        ids[name] = c.bus.run(d.RegisterCity(name, cc, tz)).id
    from citynet.services.commands import directory as d
    from citynet.domain.values import MemberRole

    ids["UBC"] = c.bus.run(d.FoundNetwork("Union of the Baltic Cities", "UBC", date(1991, 9, 20))).id
    c.bus.run(d.AdmitMember(ids["UBC"], ids["Rostock"], MemberRole.FOUNDING_MEMBER, date(1991, 9, 20)))
    ids["project"] = c.bus.run(pr.FoundProject("Test Project", "TP", date(2026, 1, 1), date(2027, 12, 31),
                                               "Objectives (test).")).id
    return ids


def _rows(c: Citynet, table: Any) -> list[Any]:
    with c.sync_engine.connect() as conn:
        return list(conn.execute(select(table)))


def test_found_admit_end_and_history(citynet: Citynet) -> None:
    ids = _setup(citynet)
    pid = ids["project"]
    assert pid == project_id_for("TP")
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Rostock"], "lead_partner"))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "network", ids["UBC"], "partner"))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Vienna"], "partner", since=date(2026, 3, 1)))
    citynet.bus.run(pr.EndProjectPartnership(pid, ids["Vienna"], date(2026, 5, 31)))
    # Vienna comes back later as an expert; Riga takes over as lead from 1 June 2026.
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Vienna"], "expert", since=date(2026, 9, 1)))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Riga"], "partner"))
    citynet.bus.run(pr.NameLeadPartner(pid, ids["Riga"], date(2026, 6, 1)))
    citynet.bus.run(pr.StartProject(pid))
    rows = _rows(citynet, project_partners)
    by = {(str(r.party_id), r.role): (r.since, r.until) for r in rows}
    rostock, riga, vienna = str(ids["Rostock"]), str(ids["Riga"]), str(ids["Vienna"])
    assert by[(rostock, "lead_partner")] == (date(2026, 1, 1), date(2026, 5, 31))
    assert by[(rostock, "partner")] == (date(2026, 6, 1), None)
    assert by[(riga, "partner")] == (date(2026, 1, 1), date(2026, 5, 31))
    assert by[(riga, "lead_partner")] == (date(2026, 6, 1), None)
    assert by[(vienna, "partner")] == (date(2026, 3, 1), date(2026, 5, 31))
    assert by[(vienna, "expert")] == (date(2026, 9, 1), None)
    assert [r.status for r in _rows(citynet, projects)] == ["running"]
    # The read model holds what the aggregate holds.
    aggregate = citynet.app.repository.get(pid)
    assert {(str(p.party.id), p.role.value, p.since, p.until) for p in aggregate.partnerships} == {
        (str(r.party_id), r.role, r.since, r.until) for r in rows}


@pytest.mark.parametrize("make, error", [
    (lambda ids: pr.AdmitProjectPartner(ids["project"], "city", ids["Rostock"], "expert", since=date(2026, 6, 1)),
     domain.AlreadyPartner),
    (lambda ids: pr.AdmitProjectPartner(ids["project"], "city", ids["Riga"], "partner", since=date(2025, 12, 1)),
     domain.InvalidInput),
    (lambda ids: pr.AdmitProjectPartner(ids["project"], "city", ids["Riga"], "partner", since=date(2026, 6, 1),
                                        until=date(2026, 5, 1)), domain.InvalidInput),
    (lambda ids: pr.AdmitProjectPartner(ids["project"], "city", ids["Riga"], "lead_partner"), domain.InvalidInput),
    (lambda ids: pr.AdmitProjectPartner(ids["project"], "city", ids["Riga"], "sponsor"), domain.InvalidInput),
    (lambda ids: pr.AdmitProjectPartner(ids["project"], "commission", uuid4(), "partner",
                                        party_network_id=ids["UBC"]), domain.NotFound),
    (lambda ids: pr.NameLeadPartner(ids["project"], ids["Vienna"]), domain.NotAProjectPartner),
    (lambda ids: pr.EndProjectPartnership(ids["project"], ids["Vienna"], date(2026, 6, 1)),
     domain.NotAProjectPartner),
    (lambda ids: pr.FoundProject("Backwards", "BW", date(2027, 1, 1), date(2026, 1, 1)), domain.InvalidInput),
    (lambda ids: pr.FoundProject("Again", "tp", date(2026, 1, 1), date(2026, 2, 1)), domain.AlreadyExists),
    (lambda ids: pr.CloseProject(ids["project"]), domain.InvalidProjectTransition),
    (lambda ids: pr.AttachProjectOutput(ids["project"], "poster", uuid4()), domain.InvalidInput),
], ids=["partner twice", "before start", "until before since", "second lead", "unknown role",
        "unknown commission", "lead not a partner", "end without partnership", "ends before it starts",
        "acronym taken", "close a planned project", "unknown output kind"])
def test_bad_input_is_typed_and_stores_nothing(citynet: Citynet, make: Any, error: type) -> None:
    ids = _setup(citynet)
    citynet.bus.run(pr.AdmitProjectPartner(ids["project"], "city", ids["Rostock"], "lead_partner"))
    head = citynet.projector.head()
    with pytest.raises(error):
        citynet.bus.run(make(ids))
    assert citynet.projector.head() == head


def test_gatherings_of_a_project_kinds_and_the_host_rule(citynet: Citynet) -> None:
    ids = _setup(citynet)
    pid = ids["project"]
    citynet.bus.run(pr.AdmitProjectPartner(pid, "network", ids["UBC"], "coordinator"))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Nice"], "partner"))
    # Nice is no UBC member, but a partner of the project: it may host the project's conference.
    conference = citynet.bus.run(w.ProposeWorkshop(
        title="Annual conference", topic="resilience", network_ids=(), partner_city_ids=(ids["Rostock"],),
        host_city_id=ids["Nice"], capacity=100, venue="Nice", kind="conference", project_id=pid)).id
    with citynet.sync_engine.connect() as conn:
        row = conn.execute(select(workshops).where(workshops.c.id == str(conference))).one()
    assert row.kind == "conference"
    assert citynet.app.repository.get(pid).outputs == {conference: OutputKind.GATHERING}
    assert citynet.app.repository.get(conference).network_ids == [ids["UBC"]]  # the project's network organises
    head = citynet.projector.head()
    with pytest.raises(domain.InvalidInput) as refused:  # Vienna: neither a partner nor a UBC member
        citynet.bus.run(w.ProposeWorkshop(
            title="Study trip", topic="x", network_ids=(), partner_city_ids=(), host_city_id=ids["Vienna"],
            capacity=10, venue="Vienna", kind="study_trip", project_id=pid))
    assert refused.value.field == "hostCityId"
    with pytest.raises(domain.InvalidInput) as unknown:  # an unknown kind, at the command layer
        citynet.bus.run(w.ProposeWorkshop(
            title="Party", topic="x", network_ids=(ids["UBC"],), partner_city_ids=(), host_city_id=ids["Rostock"],
            capacity=10, venue="Rostock", kind="party"))
    assert unknown.value.field == "kind"
    with pytest.raises(domain.AlreadyAttached):
        other = citynet.bus.run(pr.FoundProject("Other", "OTHER", date(2026, 1, 1), date(2026, 12, 31))).id
        head = citynet.projector.head()
        citynet.bus.run(pr.AttachProjectOutput(other, "gathering", conference))
    assert citynet.projector.head() == head


def test_access_coordinators_of_partner_networks_manage_the_project(citynet: Citynet) -> None:
    ids = _setup(citynet)
    pid = ids["project"]
    ubc = Actor(id="c-ubc", role="coordinator", network_ids=(str(ids["UBC"]),))
    other = Actor(id="c-other", role="coordinator", network_ids=(str(uuid4()),))
    rep = Actor(id="r-rostock", role="city_representative", city_id=str(ids["Rostock"]))
    with pytest.raises(domain.NotAllowed):  # not yet: UBC takes no part
        citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Rostock"], "partner"), actor=ubc)
    citynet.bus.run(pr.AdmitProjectPartner(pid, "network", ids["UBC"], "partner"))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Rostock"], "partner"), actor=ubc)
    for actor in (other, rep):
        with pytest.raises(domain.NotAllowed):
            citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Riga"], "partner"), actor=actor)
    # Coordinators found projects for a network of theirs, which coordinates it from the start.
    with pytest.raises(domain.NotAllowed):
        citynet.bus.run(pr.FoundProject("Baltic", "BALTIC", date(2026, 1, 1), date(2026, 12, 31)), actor=ubc)
    baltic = citynet.bus.run(pr.FoundProject("Baltic", "BALTIC", date(2026, 1, 1), date(2026, 12, 31),
                                             coordinating_network_id=ids["UBC"]), actor=ubc).id
    assert [p.role.value for p in citynet.app.repository.get(baltic).partnerships] == ["coordinator"]


def test_no_partnership_runs_outside_its_project(citynet: Citynet) -> None:
    """M1: a partnership (open or not) ends with its project; no write names a day outside the project."""
    ids = _setup(citynet)
    pid = ids["project"]  # 2026-01-01 .. 2027-12-31
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Rostock"], "lead_partner"))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Vienna"], "partner"))
    project = citynet.app.repository.get(pid)
    assert project.partner_on(ids["Vienna"], date(2027, 12, 31)) is not None
    assert project.lead_on(date(2027, 12, 31)) is not None
    assert project.partner_on(ids["Vienna"], date(2028, 1, 1)) is None  # the open partnership ended with it
    assert project.lead_on(date(2028, 1, 1)) is None and project.lead_on(date(2025, 12, 31)) is None
    head = citynet.projector.head()
    for command, field in [
        (pr.EndProjectPartnership(pid, ids["Vienna"], date(2028, 3, 1)), "on"),
        (pr.EndProjectPartnership(pid, ids["Vienna"], date(2025, 12, 1)), "on"),
        (pr.NameLeadPartner(pid, ids["Vienna"], date(2028, 2, 1)), "on"),
        (pr.NameLeadPartner(pid, ids["Vienna"], date(2025, 2, 1)), "on"),
        (pr.AdmitProjectPartner(pid, "city", ids["Riga"], "partner", until=date(2028, 1, 1)), "until"),
        (pr.AdmitProjectPartner(pid, "city", ids["Riga"], "partner", since=date(2028, 1, 1)), "since"),
    ]:
        with pytest.raises(domain.InvalidInput) as refused:
            citynet.bus.run(command)
        assert refused.value.field == field, command
    assert citynet.projector.head() == head, "refusals store nothing"
    # The last day is still a project day.
    citynet.bus.run(pr.NameLeadPartner(pid, ids["Vienna"], date(2027, 12, 31)))
    citynet.bus.run(pr.EndProjectPartnership(pid, ids["Rostock"], date(2027, 12, 31)))


@pytest.mark.parametrize("ending", ["close", "cancel"])
def test_a_closed_or_cancelled_project_takes_no_new_partner_or_output(citynet: Citynet, ending: str) -> None:
    """M2: one rule for every change of partners, lead partner and outputs: only while PLANNED or RUNNING."""
    ids = _setup(citynet)
    pid = ids["project"]
    citynet.bus.run(pr.AdmitProjectPartner(pid, "network", ids["UBC"], "coordinator"))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "city", ids["Rostock"], "partner"))
    plain = citynet.bus.run(w.ProposeWorkshop(
        title="Drill", topic="x", network_ids=(ids["UBC"],), partner_city_ids=(), host_city_id=ids["Rostock"],
        capacity=10, venue="Rostock")).id
    citynet.bus.run(pr.StartProject(pid))
    citynet.bus.run(pr.CloseProject(pid) if ending == "close" else pr.CancelProject(pid, "funding ended (test)"))
    head = citynet.projector.head()
    for command in [
        pr.AdmitProjectPartner(pid, "city", ids["Riga"], "partner"),
        pr.EndProjectPartnership(pid, ids["Rostock"], date(2026, 9, 30)),
        pr.NameLeadPartner(pid, ids["Rostock"], date(2026, 9, 1)),
        pr.AttachProjectOutput(pid, "gathering", plain),
        w.ProposeWorkshop(title="Spam", topic="x", network_ids=(), partner_city_ids=(), host_city_id=ids["Rostock"],
                          capacity=10, venue="Rostock", project_id=pid),
    ]:
        with pytest.raises(domain.InvalidProjectTransition) as refused:
            citynet.bus.run(command)
        assert refused.value.status == ("closed" if ending == "close" else "cancelled"), command
    assert citynet.projector.head() == head, "refusals store nothing"


def test_organisers_of_a_project_gathering_are_the_callers_networks(citynet: Citynet) -> None:
    """H2: within a project, the organisers default to the project's networks the caller coordinates (admins:
    all), and naming a network as organiser (project or not) needs coordinating every one named."""
    from citynet.domain.values import MemberRole
    from citynet.services.commands import directory as d

    ids = _setup(citynet)
    pid = ids["project"]
    icncm = citynet.bus.run(d.FoundNetwork("International City Network for Crisis Management", "ICNCM",
                                           date(2000, 1, 1))).id
    citynet.bus.run(d.AdmitMember(icncm, ids["Rostock"], MemberRole.MEMBER, date(2016, 1, 1)))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "network", ids["UBC"], "coordinator"))
    citynet.bus.run(pr.AdmitProjectPartner(pid, "network", icncm, "partner"))  # admitted, never asked
    ubc = Actor(id="c-ubc", role="coordinator", network_ids=(str(ids["UBC"]),))

    def propose(actor: Actor | None, networks: tuple[Any, ...], project: Any = pid) -> Any:
        return citynet.bus.run(w.ProposeWorkshop(
            title="Drill", topic="x", network_ids=networks, partner_city_ids=(), host_city_id=ids["Rostock"],
            capacity=10, venue="Rostock", project_id=project), actor=actor).id

    mine = propose(ubc, ())
    assert citynet.app.repository.get(mine).network_ids == [ids["UBC"]]  # not ICNCM
    head = citynet.projector.head()
    for networks, project in [((icncm,), pid), ((ids["UBC"], icncm), pid), ((ids["UBC"], icncm), None)]:
        with pytest.raises(domain.NotAllowed) as refused:
            propose(ubc, networks, project)
        assert refused.value.permission == "workshop:propose"
    assert citynet.projector.head() == head
    everyone = propose(None, ())  # an admin (the system) speaks for every partner network
    assert set(citynet.app.repository.get(everyone).network_ids) == {ids["UBC"], icncm}


def test_a_taken_short_name_or_acronym_is_refused_in_the_holders_own_spelling(citynet: Citynet) -> None:
    """Short names and acronyms are unique whatever their case: the refusal quotes the one that exists."""
    from citynet.services.commands import directory as d

    ids = _setup(citynet)
    with pytest.raises(domain.AlreadyExists) as taken:
        citynet.bus.run(pr.FoundProject("Again", "tp", date(2026, 1, 1), date(2026, 2, 1)))
    assert taken.value.id == ids["project"] and "'TP'" in str(taken.value) and "'tp'" not in str(taken.value)
    with pytest.raises(domain.AlreadyExists) as taken:
        citynet.bus.run(d.FoundNetwork("Union again", " ubc ", date(1991, 9, 20)))
    assert taken.value.id == ids["UBC"] and "'UBC'" in str(taken.value)
