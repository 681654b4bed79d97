"""GraphQL over HTTP conformance (https://graphql.github.io/graphql-over-http/draft/).

HTTP semantics do not depend on the store, so these run on SQLite only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from citynet.infra.app import create_app
from citynet.infra.graphql_http import GRAPHQL_RESPONSE, JSON, negotiate
from citynet.infra.settings import Settings

GRJ = {"Accept": GRAPHQL_RESPONSE}
LEGACY = {"Accept": JSON}


@pytest.fixture
def http(sqlite_url: str) -> Iterator[TestClient]:
    with TestClient(app=create_app(Settings(database_url=sqlite_url, projection_poll_seconds=0.2))) as client:
        yield client


def post(http: TestClient, body: Any, accept: dict[str, str] | None = None) -> Any:
    return http.post("/graphql", json=body, headers=accept or {})


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/json;q=1, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json;charset=utf-8", GRAPHQL_RESPONSE),
        ("text/html, */*;q=0.1", JSON),
        ("text/html", None),
        ("application/json;q=0", None),
        ("application/xml, text/plain", None),
    ],
)
def test_accept_negotiation(accept: str | None, media: str | None) -> None:
    assert negotiate(accept) == media


@pytest.mark.parametrize(("accept", "media"), [(None, JSON), ("*/*", JSON), (JSON, JSON),
                                               (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE)])
def test_success_in_the_negotiated_media_type_in_utf8(http: TestClient, accept: str | None, media: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = http.post("/graphql", json={"query": "{ readPosition }"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{media}; charset=utf-8"
    assert "readPosition" in response.json()["data"]


def test_unacceptable_accept_is_a_406(http: TestClient) -> None:
    response = post(http, {"query": "{ readPosition }"}, {"Accept": "application/xml"})
    assert response.status_code == 406 and "errors" in response.json()


REQUEST_ERRORS = {
    "parse": {"query": "{ readPosition "},
    "validation": {"query": "{ nope }"},
    "coercion": {"query": "query($n: Int) { cities(first: $n) { totalCount } }", "variables": {"n": "many"}},
    "cost": {"query": "{ networks(first: 100) { edges { node { members(first: 100) { edges { node { city { name"
                      " } } } } } } } }"},
    "unknown operation": {"query": "query A { readPosition }", "operationName": "B"},
}


@pytest.mark.parametrize("kind", list(REQUEST_ERRORS))
def test_request_errors_have_no_data_400_or_legacy_200(http: TestClient, kind: str) -> None:
    body = REQUEST_ERRORS[kind]
    modern = post(http, body, GRJ)
    assert modern.status_code == 400, modern.text
    assert modern.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert "data" not in modern.json() and modern.json()["errors"]
    legacy = post(http, body, LEGACY)
    expected = 400 if kind == "unknown operation" else 200  # not a well-formed request: 4xx in both
    assert legacy.status_code == expected and "data" not in legacy.json() and legacy.json()["errors"]


def test_cost_error_names_the_cost_and_the_limit(http: TestClient) -> None:
    error = post(http, REQUEST_ERRORS["cost"], GRJ).json()["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] > error["extensions"]["maxCost"] == 25_000
    assert str(error["extensions"]["cost"]) in error["message"]


@pytest.mark.parametrize("accept", [GRJ, LEGACY])
def test_execution_errors_are_200_with_data(http: TestClient, accept: dict[str, str]) -> None:
    response = post(http, {"query": "{ events { totalCount } }"}, accept)  # anonymous: FORBIDDEN, data null
    body = response.json()
    assert response.status_code == 200 and "data" in body and body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["errors"][0]["path"] == ["events"]


@pytest.mark.parametrize("accept", [GRJ, LEGACY])
def test_malformed_request_bodies_are_400_without_data(http: TestClient, accept: dict[str, str]) -> None:
    for body in ('{"query": "{ readPosition', '{"variables": {}}'):
        response = http.post("/graphql", content=body, headers={**accept, "Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(accept["Accept"])
        assert "data" not in response.json() and response.json()["errors"][0]["message"]


@pytest.mark.parametrize("accept", [GRJ, LEGACY])
def test_queries_over_get_and_mutations_only_over_post(http: TestClient, accept: dict[str, str]) -> None:
    ok = http.get("/graphql", params={"query": "{ readPosition }"}, headers=accept)
    assert ok.status_code == 200 and "readPosition" in ok.json()["data"]
    mutation = 'mutation { registerCity(input: {name: "Kiel", countryCode: "DE", timeZone: "Europe/Berlin"}) {' \
               " __typename } }"
    refused = http.get("/graphql", params={"query": mutation}, headers=accept)
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
    assert "data" not in refused.json() and "POST" in refused.json()["errors"][0]["message"]
    variables = http.get("/graphql", params={"query": "query($n: Int) { cities(first: $n) { totalCount } }",
                                             "variables": json.dumps({"n": 1})}, headers=accept)
    assert variables.status_code == 200 and variables.json()["data"]["cities"]["totalCount"] == 0


def test_a_crash_before_execution_is_masked(http: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    import citynet.graphql.text_input as text_input

    def crash(*_: Any) -> Any:
        raise RuntimeError("relation rm_secret does not exist")

    monkeypatch.setattr(text_input, "check_operation", crash)
    response = post(http, {"query": "{ readPosition }"}, GRJ)
    body = response.json()
    assert response.status_code == 500 and "data" not in body
    assert body["errors"] == [{"message": "Internal server error", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
    assert "rm_secret" not in json.dumps(body)


SSE = {"Accept": "text/event-stream"}


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_stream_request_without_a_query_is_a_400(http: TestClient, method: str) -> None:
    for body in ({"variables": "{}"}, {"query": "  "}, {"query": None}):
        if method == "GET":
            response = http.get("/graphql", params={k: v for k, v in body.items() if v is not None}, headers=SSE)
        else:
            response = http.post("/graphql", json=body, headers=SSE)
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(JSON)
        assert response.json() == {"errors": [{"message": "No GraphQL query found in the request"}]}


@pytest.mark.parametrize("accept", [GRJ, LEGACY])
def test_a_subscription_as_a_single_response_is_a_400_naming_the_live_transports(
        http: TestClient, accept: dict[str, str]) -> None:
    subscription = "subscription { events { position } }"
    for response in (post(http, {"query": subscription}, accept),
                     http.get("/graphql", params={"query": subscription}, headers=accept)):
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith(accept["Accept"])
        body = response.json()
        assert "data" not in body
        message = body["errors"][0]["message"]
        assert "WebSocket" in message and "text/event-stream" in message


@pytest.mark.parametrize("query, name, expected", [
    ("query Q { __typename } subscription S { events { position } }", None, "multiple operations"),
    ("subscription S { events { position } }", "T", "Unknown operation named 'T'"),
    ("subscription { events { position }", None, "Syntax Error"),
])
def test_a_stream_request_that_names_no_single_operation_is_a_400(http: TestClient, query: str, name: str | None,
                                                                 expected: str) -> None:
    """Found by a review: two operations and no operationName over text/event-stream was a 500 in the stream."""
    body = {"query": query, **({"operationName": name} if name else {})}
    response = http.post("/graphql", json=body, headers=SSE)
    assert response.status_code == 400, response.text
    assert expected in response.json()["errors"][0]["message"]
