"""Projection health and read positions through the public API."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from citynet.domain.city import City
from citynet.services.readmodel.directory import DirectoryProjection

REGISTER = """mutation($n: String!) { registerCity(input: {name: $n, countryCode: "DE", timeZone: "Europe/Berlin"}) {
  __typename ... on RegisterCityPayload { position readModelCurrent } } }"""
STATUS = "{ projections { name state position head lag stalledAt error } }"


def test_position_header_takes_ascii_digits_only_and_never_waits_beyond_the_head(api: Any) -> None:
    position = api(REGISTER, {"n": "Kiel"})["registerCity"]["position"]
    ok = api.post("{ readPosition }", headers={"X-Citynet-Min-Position": str(position)})
    assert ok.status_code == 200 and int(ok.json()["data"]["readPosition"]) >= int(position)
    padded = api.post("{ readPosition }", headers={"X-Citynet-Min-Position": str(position).zfill(25)})
    assert padded.status_code == 200  # leading zeros are still the same position
    twice = api.http.post("/graphql", json={"query": "{ readPosition }"},
                          headers=[("X-Citynet-Min-Position", "1"), ("X-Citynet-Min-Position", "2")])
    assert twice.status_code == 400
    for bad in ("²", "１２", "-1", "1e3", " ", "9" * 40):
        assert api.post("{ readPosition }", headers={"X-Citynet-Min-Position": bad.encode()}).status_code == 400, bad
    started = time.monotonic()
    beyond = api.post("{ readPosition }", headers={"X-Citynet-Min-Position": str(int(position) + 10_000)})
    assert beyond.status_code == 400 and time.monotonic() - started < 1  # refused at once, no thread held


def test_projection_status_for_admins_and_auditors_only(api: Any) -> None:
    api(REGISTER, {"n": "Kiel"})
    rows = api(STATUS)["projections"]
    assert {r["name"] for r in rows} == {"directory", "workshops", "agreements", "projects", "translations", "event_log",
                                         "audit_chain"}
    assert all(r["state"] == "CURRENT" and r["lag"] == 0 and r["stalledAt"] is None for r in rows)
    assert api.as_actor("auditor")(STATUS)["projections"]
    for role in ("anonymous", "coordinator"):
        denied = api.as_actor(role, networks=(str(uuid.uuid4()),)).post(STATUS).json()
        assert {e["extensions"]["code"] for e in denied["errors"]} == {"FORBIDDEN"}


def test_a_stalled_projection_is_reported_and_commands_still_succeed(api: Any, services: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    real = DirectoryProjection.handlers[City.Registered]

    def failing(b: Any, e: Any, position: int) -> None:
        if e.name == "Poison":
            raise RuntimeError("cannot project this city")
        real(b, e, position)

    monkeypatch.setitem(DirectoryProjection.handlers, City.Registered, failing)
    bad = api(REGISTER, {"n": "Poison"})["registerCity"]  # committed: answered as success
    assert bad["__typename"] == "RegisterCityPayload"
    after = api(REGISTER, {"n": "Vienna"})["registerCity"]
    assert after["__typename"] == "RegisterCityPayload"
    # Found by a review: the stalled directory has not applied it, so the reply must not say current.
    assert bad["readModelCurrent"] is False and after["readModelCurrent"] is False
    rows = {r["name"]: r for r in api(STATUS)["projections"]}
    city_event = int(bad["position"]) - 1  # the city's event; its name claim follows in the same save
    assert rows["directory"]["state"] == "STALLED" and rows["directory"]["stalledAt"] == city_event
    assert "cannot project this city" in rows["directory"]["error"]
    assert rows["event_log"]["state"] == "CURRENT"
    body = api.post("{ cities { totalCount } }").json()
    assert body["extensions"]["readModels"]["directory"]["stalledAt"] == city_event
    ready = api.http.get("/ready")
    assert ready.status_code == 503 and ready.json()["status"] == "stalled"
    assert {p["name"]: p["state"] for p in ready.json()["projections"]}["directory"] == "stalled"
