"""The cost limit: costly shapes are refused before execution, whatever the data, on both stores."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from citynet.graphql.cost import DEFAULT_MAX_COST
from tests.api.test_workshops_api import REGISTER, ids, mutate, propose  # noqa: F401 - ids is a fixture

STALL = "query($id: ID!) { workshop(id: $id) { waitlist { workshop { waitlist { workshop { waitlist { workshop { id }" \
        " } } } } } } }"


def refusal(response: Any) -> dict[str, Any]:
    body = response.json()
    assert "data" not in body, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY", error
    return error


def test_nested_back_references_are_refused_fast_without_delaying_others(api: Any, ids: dict[str, str],
                                                                           services: Any) -> None:
    workshop = propose(api, ids, capacity=1)
    anonymous = api.as_actor("anonymous")
    # Refused on an empty waitlist too: the price depends on the shape only.
    assert refusal(anonymous.post(STALL, {"id": workshop["id"]}))["extensions"]["maxCost"] == DEFAULT_MAX_COST
    scheduled = mutate(api, "scheduleWorkshop", "ScheduleWorkshopInput",
                       {"workshopId": workshop["id"], "startDate": "2027-01-12", "endDate": "2027-01-14"})
    assert scheduled["__typename"] == "WorkshopPayload", scheduled
    for i in range(81):
        result = api(REGISTER, {"input": {"workshopId": workshop["id"], "cityId": ids["Rostock"], "name": f"D {i}",
                                          "email": f"d{i}@rostock.example", "function": "FIREFIGHTER"}})
        assert result["registerDelegate"]["__typename"] == "RegistrationPayload", result
    assert api("query($id: ID!) { workshop(id: $id) { waitlistCount } }",
               {"id": workshop["id"]})["workshop"]["waitlistCount"] == 80

    def stall() -> float:
        started = time.perf_counter()
        error = refusal(anonymous.post(STALL, {"id": workshop["id"]}))
        assert error["extensions"]["cost"] > DEFAULT_MAX_COST
        return time.perf_counter() - started

    def read_position() -> float:
        started = time.perf_counter()
        assert "readPosition" in anonymous("{ readPosition }")
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=6) as pool:
        stalls = [pool.submit(stall) for _ in range(8)]
        reads = [pool.submit(read_position) for _ in range(4)]
        stall_times = [f.result() for f in stalls]
        read_times = [f.result() for f in reads]
    # Main took 45 s for one such query and delayed readPosition as long; generous bounds for a shared machine.
    assert max(stall_times) < 2.0 and max(read_times) < 2.0


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        ("{ readPosition }", 0),
        ("{ cities { edges { node { name } } } }", 1 + 20 * 2),
        ("{ cities(first: 5) { totalCount edges { cursor node { name } } } }", 1 + 5 * 2),
        ("query($n: Int) { cities(first: $n) { edges { node { name } } } }", 1 + 100 * 2),
        ("query($n: Int = 3) { cities(first: $n) { edges { node { name } } } }", 1 + 100 * 2),  # the maximum
        ("{ networks(first: 2) { edges { node { commissions { name } } } } }", 1 + 2 * (1 + 1 + 10 * 0 + 1)),
        ("{ ...F } fragment F on Query { cities(first: 1) { edges { node { name } } } }", 1 + 1 * 2),
        ("{ __schema { types { fields { args { name } } } } }", 0),
        # bench/run.py's "networks with their members": admitted under the default limit.
        ("{ networks(first: 50) { edges { node { id name members(first: 100) { edges { node { role city { id name }"
         " } } } } } } }", 15_151),
        (STALL, 1_020_202),
    ],
)
def test_the_formula(query: str, cost: int) -> None:
    from graphql import TypeInfo, ValidationContext, parse

    from citynet.graphql.cost import operation_cost
    from citynet.graphql.schema import build_schema

    schema = build_schema()._schema
    document = parse(query)
    context = ValidationContext(schema, document, TypeInfo(schema), lambda error: None)
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    assert operation_cost(context, operation) == cost


def test_the_limit_is_a_setting(sqlite_url: str) -> None:
    from litestar.testing import TestClient

    from citynet.infra.app import create_app
    from citynet.infra.settings import Settings

    settings = Settings.from_env({"CITYNET_DATABASE_URL": sqlite_url, "CITYNET_MAX_QUERY_COST": "40"})
    with TestClient(app=create_app(settings)) as client:
        ok = client.post("/graphql", json={"query": "{ cities(first: 19) { edges { node { name } } } }"})
        assert ok.status_code == 200 and "data" in ok.json()
        error = refusal(client.post("/graphql", json={"query": "{ cities(first: 20) { edges { node { name } } } }"}))
        assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": 41, "maxCost": 40}


def test_the_price_is_computed_once_per_document(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import citynet.graphql.cost as cost

    calls = []
    original = cost.operation_cost
    monkeypatch.setattr(cost, "operation_cost", lambda *a: calls.append(1) or original(*a))
    query = "{ cities(first: 7) { edges { node { name countryCode } } } }"  # a text no other test sends
    for _ in range(3):
        api(query)
    assert len(calls) == 1  # validation (with the cost rule) is cached per document


def test_a_small_variable_default_does_not_lower_the_price(api: Any, ids: dict[str, str]) -> None:
    """The price is fixed before the variables are known: a variable page size counts as the maximum (review)."""
    query = ("query($n: Int = 0) { workshops(first: $n) { edges { node { waitlist { workshop { waitlist {"
             " workshop { waitlist { workshop { id } } } } } } } } } }")
    refusal(api.as_actor("anonymous").post(query, {"n": 100}))


def test_a_negative_page_size_does_not_lower_the_cost(api: Any) -> None:
    """Found by a review: first: -2147483648 made the total negative and the costly siblings ran."""
    heavy = "cities(first:100){edges{node{memberships{network{members(first:100){edges{node{city{name}}}}}}}}}"
    aliases = " ".join(f"a{i}:{heavy}" for i in range(14))
    body = api.post("{ %s n: networks(first: -2147483648) { edges { node { id } } } }" % aliases).json()
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY", body
