"""The projection engine: independent positions, a bad event stalls one projection only,
rebuilds that never touch the audit chain, no leftovers, waits on positions."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date
from typing import Any

import psycopg
import pytest
from sqlalchemy import select, text

from citynet.domain.city import City
from citynet.services import audit_chain
from citynet.services.demo import load_demo
from citynet.services.readmodel import event_log_projection, tables
from citynet.services.readmodel.directory import DirectoryProjection
from citynet.services.rebuild import SHADOW, RebuildFailed, clean_leftovers_if_idle, rebuild, verify
from citynet.services.runtime import Citynet


def city_names(citynet: Citynet) -> set[str]:
    with citynet.sync_engine.connect() as conn:
        return set(conn.execute(select(tables.cities.c.name)).scalars())


def logged_positions(citynet: Citynet) -> list[int]:
    with citynet.sync_engine.connect() as conn:
        return list(conn.execute(select(tables.event_log.c.position).order_by(tables.event_log.c.position)).scalars())


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> dict[str, bool]:
    """The directory cannot apply the registration of a city named "Poison" (as a bug in new code would)."""
    state = {"on": True}
    real = DirectoryProjection.handlers[City.Registered]

    def failing(b: Any, e: Any, position: int) -> None:
        if state["on"] and e.name == "Poison":
            raise RuntimeError("cannot project this city")
        real(b, e, position)

    monkeypatch.setitem(DirectoryProjection.handlers, City.Registered, failing)
    return state


def test_each_projection_keeps_its_own_position(citynet: Citynet) -> None:
    load_demo(citynet)
    head = citynet.projections.head()
    status = {s.name: s for s in citynet.projections.status()}
    assert set(status) == {"directory", "workshops", "agreements", "projects", "translations", "event_log", "audit_chain"}
    assert all(s.position == head and s.state == "current" for s in status.values())


def test_a_bad_event_stalls_its_projection_only_and_resumes_once_fixed(citynet: Citynet,
                                                                      poisoned: dict[str, bool]) -> None:
    citynet.execute(lambda app: app.register_city("Rostock", "DE", "Europe/Berlin"))
    bad = citynet.execute(lambda app: app.register_city("Poison", "DE", "Europe/Berlin"))
    # Commands go on: the event is stored, and later commands succeed.
    after = citynet.execute(lambda app: app.register_city("Vienna", "AT", "Europe/Vienna"))
    assert after.position > bad.position
    status = {s.name: s for s in citynet.projections.status()}
    # registerCity stores the city, then its name claim: the directory stops at the city's event.
    assert status["directory"].state == "stalled" and status["directory"].stalled_at == bad.position - 1
    assert "cannot project this city" in (status["directory"].error or "")
    # Everything before it is applied (a city's name claim, just before it, is not the directory's).
    assert status["directory"].position < bad.position - 1
    assert city_names(citynet) == {"Rostock"}
    # The other projections and the audit chain went on.
    assert status["event_log"].position == status["audit_chain"].position == after.position
    assert logged_positions(citynet)[-1] == after.position
    assert audit_chain.verify(citynet.app.recorder, citynet.sync_engine).ok
    assert citynet.projections.board.reached() == after.position  # waits are not held up by a stalled one
    # New code fixes the cause: the projection resumes from where it stopped, by itself.
    poisoned["on"] = False
    citynet.projections.runners["directory"].retry_at = 0.0
    citynet.projections.catch_up()
    assert city_names(citynet) == {"Rostock", "Poison", "Vienna"}
    assert {s.name: s.state for s in citynet.projections.status()}["directory"] == "current"


def test_a_deadlock_victim_is_retried_not_stalled_and_logged_as_such(citynet: Citynet, monkeypatch: pytest.MonkeyPatch,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL breaks a deadlock by rolling one transaction back (40P01): that is no fault of the
    event, and the database is reachable; the log says what happened."""
    real = DirectoryProjection.handlers[City.Registered]

    def victim(b: Any, e: Any, position: int) -> None:
        raise psycopg.errors.DeadlockDetected("deadlock detected")

    monkeypatch.setitem(DirectoryProjection.handlers, City.Registered, victim)
    with caplog.at_level(logging.WARNING, logger="citynet.services.projections.runner"):
        citynet.execute(lambda app: app.register_city("Rostock", "DE", "Europe/Berlin"))
    status = {s.name: s for s in citynet.projections.status()}
    assert status["directory"].state != "stalled" and status["directory"].stalled_at is None
    assert any("rolled back by the database to resolve a conflict" in r.getMessage() for r in caplog.records)
    assert not any("could not reach the database" in r.getMessage() for r in caplog.records)
    monkeypatch.setitem(DirectoryProjection.handlers, City.Registered, real)
    citynet.projections.runners["directory"].retry_at = 0.0
    citynet.projections.catch_up()
    assert city_names(citynet) == {"Rostock"}


def test_a_failure_inside_a_big_batch_commits_what_came_before(citynet: Citynet, poisoned: dict[str, bool]) -> None:
    citynet.projections.stop()
    citynet.projections.started = True  # as if a background runner existed: nothing applied inline
    names = [f"Town {i}" for i in range(30)]
    for name in names[:20] + ["Poison"] + names[20:]:
        citynet.execute(lambda app, n=name: app.register_city(n, "DE", "Europe/Berlin"))
    citynet.projections.started = False
    citynet.projections.catch_up()  # one batch of 31 fails: applied event by event up to the bad one
    assert city_names(citynet) == set(names[:20])
    poisoned["on"] = False
    citynet.projections.runners["directory"].retry_at = 0.0
    citynet.projections.catch_up()
    assert city_names(citynet) == set(names) | {"Poison"}
    assert verify(citynet).ok


def test_rebuild_never_breaks_the_audit_chain(citynet: Citynet) -> None:
    """Events stored but not yet projected (a server killed under load) still get their links."""
    load_demo(citynet)
    citynet.projections.started = True  # stands for a server that died before projecting
    for i in range(5):
        citynet.execute(lambda app, i=i: app.register_city(f"Unprojected {i}", "DE", "Europe/Berlin"))
    citynet.projections.started = False
    position = rebuild(citynet)
    assert position == citynet.projections.head()
    citynet.projections.catch_up()
    report = audit_chain.verify(citynet.app.recorder, citynet.sync_engine)
    assert report.ok and report.pending_from is None and report.checked == citynet.projections.head()


def test_rebuild_one_projection_by_name_leaves_the_others(citynet: Citynet) -> None:
    load_demo(citynet)
    with citynet.sync_engine.begin() as conn:
        conn.execute(tables.cities.update().values(name="garbled"))
        conn.execute(tables.workshops.update().values(title="garbled"))
    rebuild(citynet, ["directory"])
    assert "garbled" not in city_names(citynet)
    with citynet.sync_engine.connect() as conn:
        assert set(conn.execute(select(tables.workshops.c.title)).scalars()) == {"garbled"}
    assert not verify(citynet, names=["workshops"]).ok
    assert verify(citynet, names=["directory"]).ok


def test_a_row_the_database_refuses_fails_the_rebuild_of_its_projection_only(
        citynet: Citynet, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL a thread of its own writes the shadow rows while the replay goes on: a row the database
    refuses (here, too long for its column) still fails that projection's rebuild, named at its batch."""
    if citynet.storage.is_sqlite:
        pytest.skip("SQLite does not enforce column lengths")
    load_demo(citynet)
    before = logged_positions(citynet)
    monkeypatch.setattr(event_log_projection, "_topic_parts", lambda topic: ("x" * 100, "Refused"))
    with pytest.raises(RebuildFailed) as failed:
        rebuild(citynet)
    assert set(failed.value.failures) == {"event_log"}
    at, error = failed.value.failures["event_log"]
    assert at == before[0] and "too long" in error, (at, error)
    assert logged_positions(citynet) == before  # the live rows stay
    assert verify(citynet, names=["directory", "workshops", "agreements"]).ok


def test_a_row_the_database_refuses_in_a_live_round_stalls_its_projection_only(
        citynet: Citynet, monkeypatch: pytest.MonkeyPatch) -> None:
    """A live round writes every projection's rows in one transaction (on PostgreSQL sent in one pipeline
    with the claim of their checkpoints): a row the database refuses there (too long for its column)
    rolls the round back, and each projection then goes alone, so only the one with that row stalls."""
    if citynet.storage.is_sqlite:
        pytest.skip("SQLite does not enforce column lengths")
    citynet.execute(lambda app: app.register_city("Rostock", "DE", "Europe/Berlin"))
    monkeypatch.setattr(event_log_projection, "_topic_parts", lambda topic: ("x" * 100, "Refused"))
    bad = citynet.execute(lambda app: app.register_city("Liepāja", "LV", "Europe/Riga"))
    status = {s.name: s for s in citynet.projections.status()}
    assert status["event_log"].state == "stalled" and status["event_log"].stalled_at == bad.position - 1
    assert "too long" in (status["event_log"].error or "")
    assert status["directory"].position == status["audit_chain"].position == bad.position
    assert city_names(citynet) == {"Rostock", "Liepāja"}
    assert audit_chain.verify(citynet.app.recorder, citynet.sync_engine).ok


def test_a_live_round_claims_its_checkpoints_before_touching_a_read_model(citynet: Citynet) -> None:
    """A rebuild's swap holds a projection's checkpoint, then locks its live tables. A live round must
    take its locks in the same order: waiting on a held checkpoint, it holds no lock on a read-model
    table, so the swap's LOCK TABLE never deadlocks with it (a round that read the rows it changes
    before claiming did, under steady writes, until a rebuild failed)."""
    if citynet.storage.is_sqlite:
        pytest.skip("PostgreSQL row and table locks")
    city = citynet.execute(lambda app: app.register_city("Rostock", "DE", "Europe/Berlin")).id
    network = citynet.execute(lambda app: app.found_network(
        "International City Network for Crisis Management", "ICNCM", date(2015, 1, 1))).id
    citynet.projections.stop()
    citynet.projections.started = True  # as if a background runner existed: nothing applied inline
    citynet.execute(lambda app: app.admit_member(network, city, "member", date(2016, 1, 1)))  # loads memberships
    citynet.projections.started = False
    with citynet.sync_engine.connect() as swap:
        swap.execute(text("UPDATE projection_checkpoints SET position = position WHERE name = 'directory'"))
        round_ = threading.Thread(target=citynet.projections.catch_up)
        round_.start()
        waiting: list[str] = []
        for _ in range(100):  # until the round waits on the checkpoint row
            waiting = list(swap.execute(text(
                "SELECT l.pid::text FROM pg_locks l WHERE NOT l.granted AND l.pid <> pg_backend_pid()")).scalars())
            if waiting:
                break
            time.sleep(0.05)
        assert waiting, "the round never waited for the held checkpoint"
        held = set(swap.execute(text(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = ANY(CAST(:pids AS int[])) AND c.relname LIKE 'rm\\_%'"),
            {"pids": [int(p) for p in waiting]}).scalars())
        assert not held, f"a round waiting for its checkpoint holds read-model tables: {held}"
        swap.execute(text("SET LOCAL lock_timeout = '5s'"))
        swap.execute(text("LOCK TABLE rm_memberships IN ACCESS EXCLUSIVE MODE"))
        swap.commit()
    round_.join(10)
    assert verify(citynet).ok


def test_a_round_of_many_events_writes_the_same_rows_as_a_replay(citynet: Citynet) -> None:
    """A live round sends a table's few new rows as INSERTs in its pipeline and copies a table's many:
    one round of 40 registrations does both (40 cities, 80 event-log rows and chain links)."""
    citynet.projections.stop()
    citynet.projections.started = True  # as if a background runner existed: nothing applied inline
    names = [f"Town {i}" for i in range(40)]
    for name in names:
        citynet.execute(lambda app, n=name: app.register_city(n, "DE", "Europe/Berlin"))
    citynet.projections.started = False
    citynet.projections.catch_up()
    assert city_names(citynet) == set(names)
    assert len(logged_positions(citynet)) == 80
    assert verify(citynet).ok
    assert audit_chain.verify(citynet.app.recorder, citynet.sync_engine).ok


def test_leftovers_of_a_crashed_rebuild_are_cleaned_up(citynet: Citynet) -> None:
    with citynet.sync_engine.begin() as conn:
        conn.execute(text(f'CREATE TABLE "{SHADOW}rm_cities" (id VARCHAR(36) PRIMARY KEY)'))
        if conn.dialect.name == "postgresql":
            conn.execute(text('CREATE SCHEMA "citynet_scratch_deadbeef"'))
    dropped = clean_leftovers_if_idle(citynet)
    assert f"{SHADOW}rm_cities" in dropped
    with citynet.sync_engine.connect() as conn:
        names = set(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type='table'" if conn.dialect.name == "sqlite"
            else "SELECT table_name FROM information_schema.tables")).scalars())
        assert not {n for n in names if n.startswith(SHADOW)}
        if conn.dialect.name == "postgresql":
            assert conn.execute(text("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'citynet_scratch%'")).scalar() == 0


def test_waiting_for_a_position_needs_no_polling(citynet: Citynet, run) -> None:
    citynet.projections.start()
    try:
        recorded = citynet.execute(lambda app: app.register_city("Liepāja", "LV", "Europe/Riga"))
        assert run(citynet.wait_for_position(recorded.position, timeout=5))
        assert "Liepāja" in city_names(citynet)
        assert not run(citynet.wait_for_position(recorded.position + 1000, timeout=0.2))
    finally:
        citynet.projections.stop()


@pytest.mark.postgres
def test_one_process_applies_a_projection_and_another_takes_over(postgres_url: str, run) -> None:
    first, second = Citynet(postgres_url, poll_seconds=0.2), Citynet(postgres_url, poll_seconds=0.2)
    try:
        first.projections.start()
        second.projections.start()
        recorded = first.execute(lambda app: app.register_city("Rostock", "DE", "Europe/Berlin"))
        # The other process sees the write through LISTEN/NOTIFY, with no header and no poll.
        assert second.projections.board.wait(recorded.position, 5)
        held = {n for n in first.projections.runners if n in first.projections.leases._held}
        held_too = {n for n in second.projections.runners if n in second.projections.leases._held}
        assert held | held_too == set(first.projections.runners) and not held & held_too
        first.projections.stop()  # the holder goes away (its session ends, as on kill -9)
        recorded = second.execute(lambda app: app.register_city("Vienna", "AT", "Europe/Vienna"))
        assert second.projections.board.wait(recorded.position, 10)
        assert "Vienna" in city_names(second)
    finally:
        first.close()
        second.close()


def test_concurrent_commands_all_reach_the_read_models(citynet: Citynet) -> None:
    citynet.projections.start()
    try:
        network = citynet.execute(lambda app: app.found_network("Test Network", "TN", date(2000, 1, 1)))
        positions: list[int] = []

        def register(i: int) -> None:
            positions.append(citynet.execute(lambda app: app.register_city(f"City {i}", "DE", "Europe/Berlin")).position)

        threads = [threading.Thread(target=register, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert citynet.projections.board.wait(max(positions + [network.position]), 10)
        assert len(city_names(citynet)) == 16
    finally:
        citynet.projections.stop()


def test_rebuilds_under_writes_never_collide_with_the_live_runner(citynet: Citynet) -> None:
    """The swap holds the checkpoint row: the live runner waits, then re-reads (a review found them overlapping)."""
    citynet.projections.start()
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        i = 0
        while not stop.is_set():
            try:
                citynet.execute(lambda app, i=i: app.register_city(f"Busy {i}", "DE", "Europe/Berlin"))
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(4):
            rebuild(citynet, ["directory", "event_log"], parallel=False)
    finally:
        stop.set()
        writer.join()
    assert citynet.projections.board.wait(citynet.projections.head(), 20)
    assert errors == []
    assert all(s.stalled_at is None for s in citynet.projections.status())
    citynet.projections.stop()
    assert verify(citynet).ok
    assert audit_chain.verify(citynet.app.recorder, citynet.sync_engine).ok


def test_an_upgrade_that_changes_a_read_models_columns_replays_it_instead_of_stalling(database_url: str) -> None:
    """A release that adds a column (rm_workshops.kind) to a read model finds the old table on start:
    the read model is made anew and replayed from the first event; the audit chain is left alone."""
    from sqlalchemy import text as sql

    from citynet.services.demo import load_demo
    from citynet.services.runtime import Citynet

    c = Citynet(database_url)
    load_demo(c)
    head = c.projections.head()
    chain_before = c.read_position()
    with c.sync_engine.begin() as conn:  # the table as an older release made it: no kind column
        conn.execute(sql("DROP INDEX IF EXISTS ix_rm_workshops_kind"))
        conn.execute(sql("ALTER TABLE rm_workshops DROP COLUMN kind"))
    c.close()
    upgraded = Citynet(database_url)
    try:
        upgraded.projections.catch_up()
        status = {s.name: s for s in upgraded.projections.status()}
        assert status["workshops"].position == head and status["workshops"].stalled_at is None
        with upgraded.sync_engine.connect() as conn:
            kinds = {r[0] for r in conn.execute(sql("SELECT DISTINCT kind FROM rm_workshops"))}
        assert "workshop" in kinds
        assert upgraded.read_position() >= chain_before
    finally:
        upgraded.close()


def test_a_read_model_made_by_older_rules_is_replayed(database_url: str) -> None:
    """Rows the agreements projection made before parties (version 1) are made anew under version 2."""
    from sqlalchemy import text as sql

    from citynet.services.demo import load_demo
    from citynet.services.runtime import Citynet

    c = Citynet(database_url)
    load_demo(c)
    with c.sync_engine.begin() as conn:
        conn.execute(sql("UPDATE projection_versions SET version = 1 WHERE name = 'agreements'"))
        conn.execute(sql("DELETE FROM rm_agreements"))  # what a replay must bring back
    c.close()
    upgraded = Citynet(database_url)
    try:
        upgraded.projections.catch_up()
        with upgraded.sync_engine.connect() as conn:
            assert conn.execute(sql("SELECT count(*) FROM rm_agreements")).scalar() > 0
            assert conn.execute(sql("SELECT version FROM projection_versions WHERE name = 'agreements'")).scalar() == 2
    finally:
        upgraded.close()


@pytest.mark.postgres
def test_a_round_whose_checkpoints_another_process_moved_applies_nothing_twice(postgres_url: str,
                                                                              caplog: pytest.LogCaptureFixture) -> None:
    """A round's writing runners claim their checkpoints together; when another process has applied the
    stretch meanwhile, the joint claim fails, nothing of it is written, and each runner re-reads."""
    first, second = Citynet(postgres_url), Citynet(postgres_url)
    try:
        first.projections.started = True  # as if a background runner existed: nothing applied inline
        for name in ("Rostock", "Liepāja", "Vienna", "Ljubljana"):
            first.execute(lambda app, n=name: app.register_city(n, "DE", "Europe/Berlin"))
        second.projections.catch_up()  # the other process applies the stretch
        first.projections.started = False
        with caplog.at_level("DEBUG", logger="citynet.services.projections.engine"):
            first.projections.catch_up()  # its runners still hold the old positions
        assert "runner by runner" in caplog.text, "the joint claim failed and each runner re-read"
        head = first.projections.head()
        assert {s.position for s in first.projections.status()} == {head}
        assert city_names(first) == {"Rostock", "Liepāja", "Vienna", "Ljubljana"}
        assert logged_positions(first) == sorted(set(logged_positions(first)))  # each event logged once
        assert len(logged_positions(first)) == head
        assert verify(first).ok
    finally:
        first.close()
        second.close()
