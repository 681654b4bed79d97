"""Auditors' guarantees against real storage: chain, verify, export, time travel, upcasting."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from sqlalchemy import select, text, update

from citynet.domain.errors import InvalidInput, NotFound
from citynet.domain.network import Network, network_id_for
from citynet.services import audit_chain
from citynet.services.attribution import Actor, acting
from citynet.services.demo import load_demo
from citynet.services.history import ExportFilter, as_of, export_lines
from citynet.services.readmodel.tables import event_log, networks
from citynet.services.rebuild import verify
from citynet.services.runtime import Citynet


def events_table(citynet: Citynet) -> tuple[str, str]:
    """eventsourcing's table and the column holding the position (SQLite uses the rowid)."""
    return ("stored_events", "rowid") if citynet.storage.is_sqlite else ("citynet_events", "notification_id")


def tamper(citynet: Citynet, position: int) -> None:
    """Change one byte of one stored event, as an attacker with database access would."""
    table, column = events_table(citynet)
    with citynet.sync_engine.begin() as conn:
        state = bytes(conn.execute(text(f"SELECT state FROM {table} WHERE {column} = :p"), {"p": position}).scalar_one())
        named = re.search(rb'"name":\s*"', state)
        # A letter of the name when there is one (the event still decodes), else inside the first string value.
        i = named.end() if named else state.index(b'"', state.index(b":") + 1) + 1
        altered = state[:i] + bytes([state[i] ^ 0x01]) + state[i + 1:]
        conn.execute(text(f"UPDATE {table} SET state = :s WHERE {column} = :p"), {"s": altered, "p": position})


def test_chain_verifies_and_reports_exactly_the_altered_position(citynet: Citynet) -> None:
    load_demo(citynet)
    report = audit_chain.verify(citynet.app.recorder, citynet.sync_engine, batch=25)
    assert report.ok and report.checked == citynet.projector.head() and report.pending_from is None
    tamper(citynet, 42)
    broken = audit_chain.verify(citynet.app.recorder, citynet.sync_engine, batch=25)
    assert not broken.ok and broken.first_bad_position == 42 and broken.checked == 41


def test_rebuild_never_rewrites_the_chain(citynet: Citynet) -> None:
    load_demo(citynet)
    before = audit_chain.head(citynet.sync_engine)
    tamper(citynet, 7)  # a letter in a name: still valid JSON, so the rebuild goes through
    from citynet.services.rebuild import rebuild

    assert rebuild(citynet) == before[0]
    assert audit_chain.head(citynet.sync_engine) == before
    assert audit_chain.verify(citynet.app.recorder, citynet.sync_engine).first_bad_position == 7


def test_every_event_is_attributed(citynet: Citynet) -> None:
    with acting(Actor("admin-7", "admin", "c1"), "registerCity", correlation_id="req-12345678"):
        citynet.execute(lambda app: app.register_city("Kiel", "DE", "Europe/Berlin"))
    with citynet.sync_engine.connect() as conn:
        rows = conn.execute(select(event_log).order_by(event_log.c.position)).all()
    # The city's name claim and the city, in one save: the first is caused by the request, the next by it.
    assert [(r.aggregate_type, r.event_type) for r in rows] == [("City", "Registered"), ("CityName", "Claimed")]
    assert all((r.actor_id, r.command, r.correlation_id) == ("admin-7", "registerCity", "req-12345678") for r in rows)
    claim, row = rows
    assert (row.actor_id, row.actor_role, row.actor_city_id) == ("admin-7", "admin", "c1")
    assert (claim.causation_id, row.causation_id) == ("req-12345678", f"{claim.originator_id}:1")
    assert datetime.fromisoformat(row.recorded_at).tzinfo is not None


def test_projections_verify_finds_no_difference_then_the_one_made(citynet: Citynet) -> None:
    load_demo(citynet)
    clean = verify(citynet)
    assert clean.ok and clean.position == citynet.projector.head() and clean.rows_compared > 200
    with citynet.sync_engine.begin() as conn:
        conn.execute(update(networks).where(networks.c.short_name == "UBC").values(name="Union of Baltic Towns"))
    dirty = verify(citynet)
    assert [(d.table, d.kind, d.columns) for d in dirty.differences] == [("rm_networks", "differs", ("name",))]


def test_export_streams_ndjson_with_filters_and_links(citynet: Citynet) -> None:
    load_demo(citynet)
    lines = [json.loads(line) for line in export_lines(citynet.app, ExportFilter(), batch=17)]
    assert [e["position"] for e in lines] == sorted(e["position"] for e in lines)
    assert len(lines) == citynet.projector.head()
    assert lines[-1]["link"] == audit_chain.head(citynet.sync_engine)[1]  # the export is anchored to the chain
    admitted = [json.loads(x) for x in export_lines(citynet.app, ExportFilter(
        aggregate_types=("Network",), event_types=("MemberAdmitted",)))]
    assert admitted and all(e["event_type"] == "MemberAdmitted" for e in admitted)
    assert all("actor" in e["metadata"] for e in admitted)
    plan_events = [json.loads(x) for x in export_lines(citynet.app, ExportFilter(aggregate_types=("ActionPlan",)))]
    assert {e["event_type"] for e in plan_events} >= {"Drafted", "VersionAdopted", "ProgressReported"}
    with pytest.raises(InvalidInput):
        ExportFilter(since=datetime(2026, 2, 1, tzinfo=timezone.utc), until=datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_time_travel_by_version_and_moment(citynet: Citynet) -> None:
    load_demo(citynet)
    efus = network_id_for("Efus")
    first = as_of(citynet.app, efus, version=1)
    assert first.state["members"] == {} and first.version == 1
    latest = as_of(citynet.app, efus, moment=datetime.now(timezone.utc) + timedelta(days=1))
    assert latest.version == citynet.app.repository.get(efus).version
    with pytest.raises(InvalidInput) as before:
        as_of(citynet.app, efus, moment=first.recorded_at - timedelta(seconds=1))
    assert before.value.field == "at"
    with pytest.raises(NotFound):
        as_of(citynet.app, uuid4(), version=1)
    with pytest.raises(InvalidInput):
        as_of(citynet.app, efus, version=999)


def test_an_event_stored_before_a_field_existed_still_loads(citynet: Citynet, run) -> None:
    """Network.Founded v1 had no ``website``: such a stored event is upcast on load and projected."""
    network_id = network_id_for("OLD")
    v1_state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2020-05-01T10:00:00+00:00"},
        "originator_topic": "citynet.domain.network:Network",
        "name": "Old Network", "short_name": "OLD",
        "founded_on": {"_type_": "date_iso", "_data_": "1999-01-01"}, "description": "stored by an older citynet",
    }
    stored = StoredEvent(originator_id=network_id, originator_version=1,
                         topic="citynet.domain.network:Network.Founded", state=json.dumps(v1_state).encode())
    citynet.app.recorder.insert_events([stored])
    network = citynet.app.repository.get(network_id)
    assert isinstance(network, Network) and network.website == "" and network.founded_on == date(1999, 1, 1)
    citynet.projector.catch_up()
    row = run(citynet.reads.networks_by_id([str(network_id)]))[str(network_id)]
    assert (row.name, row.website) == ("Old Network", "")
