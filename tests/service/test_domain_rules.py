"""Issue 10's defects, each reproduced through the service layer on both stores.

The clock is fixed at 1 June 2026, 12:00 UTC (tests/conftest.py); every refusal
must be a typed error that stores nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from citynet.domain.city import City
from citynet.domain.errors import (
    AlreadyExists,
    AlreadyRegistered,
    DateConflict,
    DomainError,
    InvalidInput,
    InvalidTransition,
    PlanNotAdopted,
    NotFound,
    RegistrationClosed,
)
from citynet.domain.network import commission_id_for, network_id_for
from citynet.domain.workshop import Workshop
from citynet.services.attribution import Actor, acting
from citynet.services.clock import FixedClock
from citynet.services.demo import load_demo
from citynet.services.demo_plans import PLAN_TITLE, demo_id
from citynet.services.demo_workshops import LIEPAJA, ROSTOCK, VIENNA, workshop_id
from citynet.services.people import people
from citynet.services.plan_reports import owed_by
from citynet.services.runtime import Citynet

UBC, ICNCM = network_id_for("UBC"), network_id_for("ICNCM")
SHELTERING = workshop_id("Preparation for sheltering large groups of people")
WARNING = workshop_id("Digital and analogue warning procedures in an urban environment")
COMMUNICATION = workshop_id("Crisis communication with stakeholders: volunteers, population and media")
PLAN = demo_id(PLAN_TITLE)
PUBLISH = demo_id("Publish the list to partner crisis staffs")
RIGA = City.create_id("Riga", "LV", "")


@pytest.fixture
def demo(citynet: Citynet) -> Citynet:
    load_demo(citynet)
    return citynet


def refused(citynet: Citynet, error: type[DomainError], command: Callable[[], Any]) -> DomainError:
    """Run a command that must be refused with ``error``; check that nothing was stored."""
    head = citynet.projector.head()
    with pytest.raises(error) as raised:
        command()
    assert citynet.projector.head() == head, "a refusal stores nothing"
    return raised.value


def run(citynet: Citynet, command: Callable[[Any], Any]) -> Any:
    return citynet.execute(command)


def vault_rows(citynet: Citynet) -> dict[tuple[str, str], tuple[str, str]]:
    with citynet.sync_engine.connect() as conn:
        return {(r.city_id, r.email): (r.person_id, r.name) for r in conn.execute(select(people))}


def propose(citynet: Citynet, host: UUID = VIENNA, capacity: int = 5, **extra: Any) -> UUID:
    return run(citynet, lambda app: app.propose_workshop(
        title="Blackout drill", topic="energy shortage", network_ids=[ICNCM, UBC], partner_city_ids=[ROSTOCK, LIEPAJA],
        host_city_id=host, venue="City Hall", capacity=capacity, **extra)).id


# 1 ---------------------------------------------------------------------------------------------


def test_a_cancelled_workshop_stays_cancelled(demo: Citynet) -> None:
    run(demo, lambda app: app.cancel_workshop(WARNING, "no budget"))
    refused(demo, InvalidTransition, lambda: run(demo, lambda app: app.answer_date_poll(WARNING, VIENNA, {0: "yes"})))
    refused(demo, InvalidTransition, lambda: run(demo, lambda app: app.close_date_poll(WARNING, 0)))
    w = demo.app.get(Workshop, WARNING)
    assert w.status.value == "cancelled" and w.dates is None and w.poll is not None and w.poll.closed


# 2, 3, 9 --------------------------------------------------------------------------------------


def test_concurrent_duplicate_registrations_keep_the_person(demo: Citynet) -> None:
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def register() -> None:
        barrier.wait()
        try:
            demo.register_delegate(COMMUNICATION, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter")
            outcomes.append("ok")
        except DomainError as e:
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["AlreadyRegistered"] * 3 + ["ok"]
    row = vault_rows(demo)[(str(ROSTOCK), "kai@rostock.example")]
    w = demo.app.get(Workshop, COMMUNICATION)
    assert row[1] == "Kai Example" and [str(r.person_id) for r in w.registrations.values()] == [row[0]]


def test_refusals_write_and_delete_no_personal_data(demo: Citynet) -> None:
    demo.register_delegate(COMMUNICATION, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter")
    before = vault_rows(demo)
    # Already registered, then a refusal for a new person: nothing changes, nothing is added.
    refused(demo, AlreadyRegistered, lambda: demo.register_delegate(
        COMMUNICATION, ROSTOCK, "Kai Renamed", "kai@rostock.example", "firefighter"))
    refused(demo, RegistrationClosed, lambda: demo.register_delegate(
        WARNING, ROSTOCK, "New Person", "new@rostock.example", "firefighter"))
    assert vault_rows(demo) == before


def test_a_city_cannot_rename_or_probe_another_citys_delegate(demo: Citynet) -> None:
    vienna_rows = {k: v for k, v in vault_rows(demo).items() if k[0] == str(VIENNA)}
    rostock = Actor("rep-rostock", "city_representative", str(ROSTOCK))
    with acting(rostock, "registerDelegate"):
        demo.register_delegate(COMMUNICATION, ROSTOCK, "Someone Else", "paul.beispiel@wien.example", "police")
    rows = vault_rows(demo)
    assert {k: v for k, v in rows.items() if k[0] == str(VIENNA)} == vienna_rows  # Vienna's delegate untouched
    assert rows[(str(ROSTOCK), "paul.beispiel@wien.example")][1] == "Someone Else"  # a Rostock person of its own


def test_a_coordinator_does_not_rename_a_citys_delegate(demo: Citynet) -> None:
    demo.register_delegate(COMMUNICATION, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter")
    coordinator = Actor("coord", "coordinator", network_ids=(str(UBC),))
    with acting(coordinator, "registerDelegate"):
        demo.register_delegate(SHELTERING, ROSTOCK, "Kai Renamed", "kai@rostock.example", "firefighter")
    assert vault_rows(demo)[(str(ROSTOCK), "kai@rostock.example")][1] == "Kai Example"


def test_concurrent_erasures_record_one_erasure_after_the_deletion(demo: Citynet) -> None:
    person = next(iter(demo.app.get(Workshop, SHELTERING).registrations.values())).person_id
    barrier = threading.Barrier(3)
    results: list[Any] = []

    def erase() -> None:
        barrier.wait()
        results.append(demo.erase_person(person))

    threads = [threading.Thread(target=erase) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3 and len({r.id for r in results}) == 1
    assert not demo.people.exists(person)
    events = [n for n in demo.app.recorder.select_notifications(start=1, limit=10_000) if n.topic.endswith("PersonErased")]
    assert len(events) == 1
    assert demo.erase_person(person).id == results[0].id  # again: the same erasure, no 500
    refused(demo, NotFound, lambda: demo.erase_person(UUID(int=7)))


# 4 ---------------------------------------------------------------------------------------------


def test_a_reschedule_rebooks_the_delegates(demo: Citynet) -> None:
    a, b = propose(demo), propose(demo, host=ROSTOCK)
    run(demo, lambda app: app.schedule_workshop(a, date(2027, 6, 1), date(2027, 6, 3)))
    run(demo, lambda app: app.schedule_workshop(b, date(2027, 7, 1), date(2027, 7, 3)))
    kai = demo.register_delegate(a, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter")
    run(demo, lambda app: app.reschedule_workshop(a, date(2027, 7, 2), date(2027, 7, 4), "venue"))
    clash = refused(demo, DateConflict, lambda: demo.register_delegate(
        b, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter"))
    assert clash.conflicting_workshop_id == a
    # And the other way round: B first, then A moved onto B's days is refused, naming Kai's registration.
    run(demo, lambda app: app.reschedule_workshop(a, date(2027, 8, 2), date(2027, 8, 4), "venue again"))
    demo.register_delegate(b, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter")
    moved = refused(demo, DateConflict, lambda: run(demo, lambda app: app.reschedule_workshop(
        a, date(2027, 7, 1), date(2027, 7, 3), "back")))
    assert moved.registration_ids == [kai.id] and moved.conflicting_workshop_id is None


def test_date_conflict_hides_what_the_caller_may_not_see(demo: Citynet) -> None:
    a, b = propose(demo), propose(demo, host=ROSTOCK)
    run(demo, lambda app: app.schedule_workshop(a, date(2027, 6, 1), date(2027, 6, 3)))
    run(demo, lambda app: app.schedule_workshop(b, date(2027, 6, 2), date(2027, 6, 4)))
    demo.register_delegate(a, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter")
    run(demo, lambda app: app.found_network("Test Network", "TN", date(2000, 1, 1)))
    stranger = Actor("coord-tn", "coordinator", network_ids=(str(network_id_for("TN")),))
    # A coordinator of neither workshop's networks cannot register at all ...
    with acting(stranger, "registerDelegate"):
        with pytest.raises(DomainError):
            demo.register_delegate(b, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter")
    # ... and Rostock itself sees its own delegate's other workshop.
    with acting(Actor("rep", "city_representative", str(ROSTOCK)), "registerDelegate"):
        clash = refused(demo, DateConflict, lambda: demo.register_delegate(
            b, ROSTOCK, "Kai Example", "kai@rostock.example", "firefighter"))
    assert clash.conflicting_workshop_id == a


# 5 ---------------------------------------------------------------------------------------------


def test_progress_is_tracked_against_the_adopted_version_only(demo: Citynet, run: Any) -> None:
    run_ = demo.execute
    run_(lambda app: app.start_revision(PLAN))
    draft_only = run_(lambda app: app.add_action(PLAN, 2, title="Draft idea", lead_city_id=ROSTOCK,
                                                 due_on=date(2026, 5, 1))).id
    run_(lambda app: app.remove_action(PLAN, 2, PUBLISH))
    refused(demo, NotFound, lambda: run_(lambda app: app.report_progress(PLAN, draft_only, 10, "draft")))
    run_(lambda app: app.report_progress(PLAN, PUBLISH, 60, "still adopted"))  # removed only in the draft
    owed = run(owed_by(demo.reads, str(ROSTOCK), date(2026, 6, 1)))
    assert str(draft_only) not in {o.action_id for o in owed}


def test_a_plan_never_adopted_is_not_tracked(demo: Citynet) -> None:
    plan = demo.execute(lambda app: app.draft_plan(title="Unagreed", network_ids=[UBC], partner_city_ids=[ROSTOCK],
                                                   starts_on=date(2026, 1, 1))).id
    action = demo.execute(lambda app: app.add_action(plan, 1, title="A", lead_city_id=ROSTOCK, due_on=date(2026, 5, 1))).id
    refused(demo, PlanNotAdopted, lambda: demo.execute(lambda app: app.report_progress(plan, action, 10, "n")))


def test_status_and_progress_agree(demo: Citynet) -> None:
    refused(demo, InvalidInput, lambda: demo.execute(lambda app: app.report_progress(PLAN, PUBLISH, 50, "n", "done")))
    demo.execute(lambda app: app.report_progress(PLAN, PUBLISH, 100, "finished"))
    demo.execute(lambda app: app.report_progress(PLAN, PUBLISH, 30, "reopened: a city left the list"))
    tracked = demo.app.get(type(demo.app.repository.get(PLAN)), PLAN).tracking[str(PUBLISH)]
    assert (tracked.status.value, tracked.progress) == ("in_progress", 30)


# 6, 10 (networks) ------------------------------------------------------------------------------


def test_future_memberships_are_refused(demo: Citynet) -> None:
    kiel = demo.execute(lambda app: app.register_city("Kiel", "DE", "Europe/Berlin")).id
    error = refused(demo, InvalidInput, lambda: demo.execute(lambda app: app.admit_member(UBC, kiel, "member",
                                                                                        date(2030, 1, 1))))
    assert error.field == "since"
    demo.execute(lambda app: app.admit_member(UBC, kiel, "member", date(2026, 6, 1)))  # today is fine
    refused(demo, InvalidInput, lambda: demo.execute(lambda app: app.record_member_left(UBC, kiel, date(2026, 6, 2))))


def test_commission_heads(demo: Citynet) -> None:
    safe = commission_id_for(UBC, "Safe Cities Commission")
    kiel = demo.execute(lambda app: app.register_city("Kiel", "DE", "Europe/Berlin")).id
    demo.execute(lambda app: app.admit_member(UBC, kiel, "observer", date(2020, 1, 1)))
    refused(demo, InvalidInput, lambda: demo.execute(lambda app: app.name_commission_head(UBC, safe, kiel)))
    demo.execute(lambda app: app.record_member_left(UBC, LIEPAJA, date(2026, 1, 1)))
    topics = [n.topic.rsplit(".", 1)[-1] for n in demo.app.recorder.select_notifications(start=1, limit=10_000)]
    assert topics[-2:] == ["CommissionHeadshipEnded", "MemberLeft"]


def test_hosts_and_partners_belong_to_an_organising_network(demo: Citynet) -> None:
    madrid = City.create_id("Madrid", "ES", "")  # Efus only
    error = refused(demo, InvalidInput, lambda: propose(demo, host=madrid))
    assert error.field == "hostCityId"
    error = refused(demo, InvalidInput, lambda: demo.execute(lambda app: app.draft_plan(
        title="P", network_ids=[UBC], partner_city_ids=[madrid], starts_on=date(2026, 1, 1))))
    assert error.field == "partnerCityIds"


def test_city_names_differing_only_by_accents_or_case(demo: Citynet) -> None:
    for name in ("Liepaja", "LIEPĀJA"):
        error = refused(demo, AlreadyExists, lambda name=name: demo.execute(
            lambda app: app.register_city(name, "LV", "Europe/Riga")))
        assert error.id == LIEPAJA and "Liepāja" in error.message
    demo.execute(lambda app: app.register_city("Liepaja", "US", "America/Chicago"))  # another country: fine
    error = refused(demo, InvalidInput, lambda: demo.execute(lambda app: app.register_city("Kiel", "DE", "Asia/Tokyo")))
    assert error.field == "timeZone"


# 7, 8, 10 (workshops) --------------------------------------------------------------------------


def test_lifecycle_gaps_are_closed(demo: Citynet) -> None:
    w = propose(demo, capacity=5)
    error = refused(demo, InvalidInput, lambda: run(demo, lambda app: app.schedule_workshop(
        w, date(2026, 5, 1), date(2026, 5, 3))))
    assert error.field == "startDate"
    refused(demo, InvalidInput, lambda: run(demo, lambda app: app.open_date_poll(
        w, [(date(2026, 7, 1), date(2026, 7, 3)), (date(2026, 7, 1), date(2026, 7, 3))])))
    run(demo, lambda app: app.schedule_workshop(w, date(2026, 6, 10), date(2026, 6, 12)))
    clock = demo.app.clock
    assert isinstance(clock, FixedClock)
    clock.instant = datetime(2026, 6, 10, 12, tzinfo=timezone.utc)  # its first day
    refused(demo, InvalidInput, lambda: run(demo, lambda app: app.mark_workshop_held(w, 3, "early", [])))
    clock.instant = datetime(2026, 6, 13, 12, tzinfo=timezone.utc)  # the day after
    refused(demo, RegistrationClosed, lambda: demo.register_delegate(
        w, ROSTOCK, "Late Comer", "late@rostock.example", "police"))
    refused(demo, InvalidInput, lambda: run(demo, lambda app: app.mark_workshop_held(w, 6, "too many", [])))
    run(demo, lambda app: app.mark_workshop_held(w, 5, "held", []))
    cancelled = propose(demo)
    run(demo, lambda app: app.cancel_workshop(cancelled, "no"))
    refused(demo, InvalidTransition, lambda: run(demo, lambda app: app.remove_session(cancelled, UUID(int=1))))


def test_today_is_the_host_citys_date(demo: Citynet) -> None:
    # 1 June 2026, 12:00 UTC is already 2 June in Auckland.
    auckland = demo.execute(lambda app: app.register_city("Auckland", "NZ", "Pacific/Auckland")).id
    demo.execute(lambda app: app.admit_member(UBC, auckland, "observer", date(2020, 1, 1)))
    there = propose(demo, host=auckland)
    here = propose(demo, host=VIENNA)
    refused(demo, InvalidInput, lambda: run(demo, lambda app: app.schedule_workshop(
        there, date(2026, 6, 1), date(2026, 6, 3))))
    run(demo, lambda app: app.schedule_workshop(here, date(2026, 6, 1), date(2026, 6, 3)))


def test_the_demo_follows_the_clock(database_url: str) -> None:
    later = Citynet(database_url, clock=FixedClock(datetime(2030, 1, 1, 12, tzinfo=timezone.utc)))
    try:
        load_demo(later)
        energy = later.app.get(Workshop, workshop_id("Crisis management in case of energy shortages"))
        communication = later.app.get(Workshop, COMMUNICATION)
        assert energy.status.value == "held" and energy.dates is not None and energy.dates.end < date(2030, 1, 1)
        assert communication.dates is not None and communication.dates.start > date(2030, 1, 1)
        assert communication.dates.end.weekday() == 6 and communication.dates.end.month == 3  # the DST Sunday
    finally:
        later.close()


# issue 9, domain side ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["ok\u0000", "ok\u0007", "ok\u009f", "ok\ud800", "two\nlines"])
def test_control_characters_never_reach_the_log(demo: Citynet, bad: str) -> None:
    error = refused(demo, InvalidInput, lambda: demo.execute(lambda app: app.register_city(f"Bad{bad}Name", "DE",
                                                                                        "Europe/Berlin")))
    assert error.field == "name"
    if bad != "two\nlines":  # notes may span lines
        error = refused(demo, InvalidInput, lambda: demo.execute(lambda app: app.report_progress(
            PLAN, PUBLISH, 50, bad)))
        assert error.field == "note"
    else:
        demo.execute(lambda app: app.report_progress(PLAN, PUBLISH, 50, bad))


def test_text_is_stored_in_nfc(demo: Citynet) -> None:
    decomposed = "Gda\u0144sk-Oliwa".replace("\u0144", "n\u0301")
    city = demo.execute(lambda app: app.register_city(decomposed, "PL", "Europe/Warsaw")).id
    assert demo.app.get(City, city).name == "Gdańsk-Oliwa"


def test_overlapping_workshops_report_shared_delegates(demo: Citynet, run: Any) -> None:
    from citynet.services.readmodel import tables

    efus, nice = network_id_for("Efus"), City.create_id("Nice", "FR", "")
    other = demo.execute(lambda app: app.propose_workshop(
        title="Stadium security", topic="attack", network_ids=[efus], partner_city_ids=[], host_city_id=nice,
        venue="Allianz Riviera", capacity=10)).id
    demo.execute(lambda app: app.schedule_workshop(other, date(2027, 5, 19), date(2027, 5, 21)))
    sheltering = str(SHELTERING)
    assert run(demo.reads.overlapping_workshops([sheltering])).get(sheltering, []) == []  # nothing shared
    # A double booking from before the calendars re-booked on reschedule, as it sits in an old read model.
    person = next(iter(demo.app.get(Workshop, SHELTERING).registrations.values())).person_id
    with demo.sync_engine.begin() as conn:
        conn.execute(tables.registrations.insert().values(
            id=str(UUID(int=99)), workshop_id=str(other), person_id=str(person), city_id=str(nice),
            function="police", status="registered", arrival=1, registered_at="2026-01-01T00:00:00+00:00"))
    assert [w.id for w in run(demo.reads.overlapping_workshops([sheltering]))[sheltering]] == [str(other)]
