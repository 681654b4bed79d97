"""Auditors over GraphQL, on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from citynet.graphql.ids import decode_any
from citynet.services import audit_chain
from citynet.services.demo import load_demo

EVENT_FIELDS = "position aggregateId aggregateType version eventType recordedAt actor { id role cityId } correlationId causationId command data"


def test_request_id_is_returned_and_attributed(api: Any, services: Any) -> None:
    response = api.post("""mutation { registerCity(input: {name: "Kiel", countryCode: "DE", timeZone: "Europe/Berlin"}) {
        ... on RegisterCityPayload { city { id } } } }""", headers={"X-Request-ID": "partner-req-000123"})
    assert response.headers["x-request-id"] == "partner-req-000123"
    city = response.json()["data"]["registerCity"]["city"]["id"]
    history = api("query($id: ID!) { aggregateHistory(id: $id) { %s } }" % EVENT_FIELDS, {"id": city})["aggregateHistory"]
    assert len(history) == 1
    event = history[0]
    assert (event["eventType"], event["aggregateType"], event["command"]) == ("Registered", "City", "registerCity")
    assert event["correlationId"] == event["causationId"] == "partner-req-000123"
    assert event["actor"] == {"id": "test-admin", "role": "ADMIN", "cityId": None}
    assert event["data"]["name"] == "Kiel" and event["recordedAt"].endswith("+00:00")
    fresh = api.http.get("/health")
    assert len(fresh.headers["x-request-id"]) == 36  # a new UUID when none (or a malformed one) was sent


def test_one_event_leading_to_another_cites_its_cause(api: Any, services: Any) -> None:
    load_demo(services)
    sheltering = api("""{ workshops(filter: {topic: "sheltering"}) { edges { node { id
        registrations(first: 1) { edges { node { id } } } } } } }""")["workshops"]["edges"][0]["node"]
    api("""mutation($r: ID!) { withdrawRegistration(input: {registrationId: $r}) { __typename } }""",
        {"r": sheltering["registrations"]["edges"][0]["node"]["id"]})
    events = api("""query($id: ID!) { events(first: 100, filter: {aggregateId: $id}) { edges { node {
        position version eventType correlationId causationId aggregateId } } } }""", {"id": sheltering["id"]})
    nodes = [e["node"] for e in events["events"]["edges"]]
    withdrawn, promoted = nodes[-2], nodes[-1]
    assert (withdrawn["eventType"], promoted["eventType"]) == ("RegistrationWithdrawn", "RegistrationPromoted")
    assert withdrawn["causationId"] == withdrawn["correlationId"]
    # a causation id names an event by its record's UUID and version
    assert promoted["causationId"] == f"{decode_any(withdrawn['aggregateId'])[1][0]}:{withdrawn['version']}"


def test_browse_filter_and_page(api: Any, services: Any) -> None:
    load_demo(services)
    query = """query($after: String, $f: EventFilter) { events(first: 40, after: $after, filter: $f) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { position eventType aggregateType } } } }"""
    positions, after = [], None
    while True:
        page = api(query, {"after": after})["events"]
        positions += [e["node"]["position"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert positions == sorted(positions) and len(positions) == page["totalCount"] == services.projector.head()
    admitted = api(query, {"f": {"aggregateType": "Network", "eventType": "MemberAdmitted"}})["events"]
    assert admitted["totalCount"] == 16 and {e["node"]["eventType"] for e in admitted["edges"]} == {"MemberAdmitted"}
    none = api(query, {"f": {"since": "2000-01-01T00:00:00+00:00", "until": "2000-01-02T00:00:00+00:00"}})["events"]
    assert none["totalCount"] == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ('{ events(after: "bm9wZQ") { totalCount } }', "after"),
        ('{ events(filter: {since: "2026-02-01T00:00:00+00:00", until: "2026-01-01T00:00:00+00:00"}) { totalCount } }',
         "filter.until"),
        ('{ aggregateHistory(id: "garbage") { position } }', "id"),
        ('{ asOf(id: "TmV0d29yazphZGJkNDE5Ny0yOWVjLTVmNzEtOGFjNi1kZDE1NDcwZDFlNjI", at: "1990-01-01T00:00:00+00:00") { version } }',
         "at"),
    ],
)
def test_bad_audit_input_gives_clear_errors(api: Any, services: Any, query: str, field: str) -> None:
    load_demo(services)
    body = api.post(query).json()
    assert body["errors"][0]["extensions"]["field"] == field, body
    assert "Internal" not in body["errors"][0]["message"]


def test_unknown_records_are_null_as_in_node(api: Any) -> None:
    unknown = "5b1f0a8e-0000-4000-8000-000000000000"
    assert api('{ aggregateHistory(id: "%s") { position } asOf(id: "%s", version: 1) { version } }'
               % (unknown, unknown)) == {"aggregateHistory": None, "asOf": None}


def test_as_of_and_head(api: Any, services: Any) -> None:
    load_demo(services)
    ubc = "TmV0d29yazphZGJkNDE5Ny0yOWVjLTVmNzEtOGFjNi1kZDE1NDcwZDFlNjI"
    data = api("""query($id: ID!) { v1: asOf(id: $id, version: 1) { version aggregateType state }
        now: asOf(id: $id, at: "2999-01-01T00:00:00+00:00") { version state }
        auditHead { position hash } }""", {"id": ubc})
    assert data["v1"]["aggregateType"] == "Network" and data["v1"]["state"]["members"] == {}
    assert len(data["now"]["state"]["members"]) == 4 and data["now"]["version"] > 1
    position, link = audit_chain.head(services.sync_engine)
    assert data["auditHead"] == {"position": position, "hash": link}
