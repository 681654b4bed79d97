"""50 delegates register at once for 20 places, through real HTTP clients against a running server."""

from __future__ import annotations

import json
from datetime import date, timedelta
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from citynet.infra.auth import mint
from citynet.infra.settings import Settings
from tests.e2e.test_cli import Server

# The server runs with the development secret, as a newcomer's would.
ADMIN = mint(Settings().token_config, subject="e2e-admin", role="admin")


def post(port: int, query: str, variables: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {ADMIN}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.postgres
def test_fifty_concurrent_registrations_for_twenty_places(postgres_url: str) -> None:
    server = Server({"CITYNET_DATABASE_URL": postgres_url}, "--demo")
    try:
        port = server.port
        ids = post(port, "{ networks { edges { node { id shortName } } } cities(first: 50) { edges { node { id name } } } }")
        net = {e["node"]["shortName"]: e["node"]["id"] for e in ids["networks"]["edges"]}
        city = {e["node"]["name"]: e["node"]["id"] for e in ids["cities"]["edges"]}
        proposed = post(port, """mutation($input: ProposeWorkshopInput!) { proposeWorkshop(input: $input) {
            ... on WorkshopPayload { workshop { id } } } }""", {"input": {
            "title": "Capacity test", "topic": "sheltering", "networkIds": [net["UBC"]],
            "partnerCityIds": [city["Rostock"], city["Liepāja"]], "hostCityId": city["Riga"], "venue": "Hall",
            "capacity": 20}})
        wid = proposed["proposeWorkshop"]["workshop"]["id"]
        # The server runs on the real clock: a date a year ahead of whatever today is.
        start = date.today() + timedelta(days=365)
        post(port, """mutation($input: ScheduleWorkshopInput!) { scheduleWorkshop(input: $input) { __typename } }""",
             {"input": {"workshopId": wid, "startDate": start.isoformat(), "endDate": (start + timedelta(days=2)).isoformat()}})

        start = threading.Barrier(50)

        def register(i: int) -> tuple[str, str]:
            start.wait()
            data = post(port, """mutation($input: RegisterDelegateInput!) { registerDelegate(input: $input) {
                __typename ... on RegistrationPayload { registration { status delegate { email } } }
                ... on UserError { message } } }""", {"input": {
                "workshopId": wid, "cityId": city["Rostock"] if i % 2 else city["Liepāja"],
                "name": f"Delegate {i}", "email": f"delegate{i}@capacity.example", "function": "VOLUNTEER"}})
            result = data["registerDelegate"]
            assert result["__typename"] == "RegistrationPayload", result
            return result["registration"]["delegate"]["email"], result["registration"]["status"]

        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = dict(pool.map(register, range(50)))

        final = post(port, """query($id: ID!) { workshop(id: $id) { registeredCount waitlistCount freePlaces
            registrations(first: 100) { edges { node { status registeredAt delegate { email } } } }
            waitlist { position delegate { email } } } }""", {"id": wid})["workshop"]
    finally:
        server.stop()

    assert (final["registeredCount"], final["waitlistCount"], final["freePlaces"]) == (20, 30, 0)
    in_arrival_order = [e["node"] for e in final["registrations"]["edges"]]
    emails = [n["delegate"]["email"] for n in in_arrival_order]
    assert sorted(emails) == sorted(answers) and len(set(emails)) == 50  # none lost, none doubled
    # The first twenty to arrive hold the places; the other thirty wait in arrival order.
    assert [n["status"] for n in in_arrival_order] == ["REGISTERED"] * 20 + ["WAITLISTED"] * 30
    assert [w["delegate"]["email"] for w in final["waitlist"]] == emails[20:]
    assert [w["position"] for w in final["waitlist"]] == list(range(1, 31))
    assert [n["registeredAt"] for n in in_arrival_order] == sorted(n["registeredAt"] for n in in_arrival_order)
    # Each client was told the status it still has.
    assert all(answers[n["delegate"]["email"]] == n["status"] for n in in_arrival_order)
