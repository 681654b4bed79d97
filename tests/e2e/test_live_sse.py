"""Subscriptions over Server-Sent Events (graphql-sse, distinct connections mode) against real server
processes, on SQLite and PostgreSQL: the same auth, visibility, limits, resume, slow-consumer handling,
keep-alive and CORS as the WebSocket transport (decision 014). Cross-process delivery on PostgreSQL:
a mutation on server A reaches a stream on server B."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.e2e.live_clients import SSE, Server, database, gql, seeded, short_token, token

ORIGIN = "https://partner.example"
ADMIN = token("admin", subject="e2e-sse-admin")
WORKSHOP = """subscription($id: ID!, $after: Position) { workshop(id: $id, after: $after) {
  position eventType workshop { id capacity freePlaces } } }"""
REGISTRATIONS = """subscription($id: ID!, $after: Position) { workshopRegistrations(workshopId: $id, after: $after) {
  position registrations { status } } }"""
EVENTS = "subscription($after: Position) { events(after: $after) { position eventType } }"
CAPACITY = """mutation($id: ID!, $c: Int!) { setWorkshopCapacity(input: {workshopId: $id, capacity: $c}) {
  __typename ... on WorkshopPayload { position } } }"""

STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


class Live:
    """A running server on a seeded database, and the demo's ids."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.env = env
        self.server = Server(env, *args)
        self.port = self.server.port
        nodes = gql(self.port, "{ workshops { edges { node { id status } } } networks { edges { node { id shortName } } } "
                               "cities(first: 50) { edges { node { id name } } } }", bearer=ADMIN)
        self.workshops = [e["node"] for e in nodes["workshops"]["edges"]]
        self.published = next(w["id"] for w in self.workshops if w["status"] in ("SCHEDULED", "CONFIRMED"))
        self.ids = {e["node"]["shortName"]: e["node"]["id"] for e in nodes["networks"]["edges"]}
        self.ids.update({e["node"]["name"]: e["node"]["id"] for e in nodes["cities"]["edges"]})

    def position(self) -> int:
        return int(gql(self.port, "{ readPosition }")["readPosition"])

    def capacity(self, value: int, port: int | None = None) -> int:
        result = gql(port or self.port, CAPACITY, {"id": self.published, "c": value}, bearer=ADMIN)
        assert result["setWorkshopCapacity"]["__typename"] == "WorkshopPayload", result
        return int(result["setWorkshopCapacity"]["position"])


@pytest.fixture(scope="module", params=STORES)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with database(request.param, tmp_path_factory.mktemp("sse")) as env:
        seeded(env)
        server = Live({**env, "CITYNET_MAX_CONNECTIONS_PER_IDENTITY": "2", "CITYNET_SSE_KEEPALIVE_SECONDS": "0.5",
                       "CITYNET_ALLOWED_ORIGINS": ORIGIN, "CITYNET_RATE_LIMIT_PER_MINUTE": "0"})
        try:
            yield server
        finally:
            server.server.stop()


@pytest.fixture
def streams() -> Iterator[list[SSE]]:
    opened: list[SSE] = []
    yield opened
    for stream in opened:
        stream.close()


def test_a_change_arrives_with_its_position_and_a_resume_has_no_gap_and_no_duplicate(
        live: Live, streams: list[SSE]) -> None:
    first = SSE(live.port, WORKSHOP, {"id": live.published, "after": live.position()}, bearer=ADMIN)
    streams.append(first)
    assert first.status == 200 and first.response.headers["content-type"].startswith("text/event-stream")
    written = [live.capacity(31 + i) for i in range(3)]
    update = first.data("workshop")
    assert update["position"] == written[0] and update["eventType"] == "CapacityChanged"
    got = [update["position"]]
    first.close()  # dropped mid-stream: two updates were never read
    written += [live.capacity(41 + i) for i in range(2)]

    again = SSE(live.port, WORKSHOP, {"id": live.published, "after": got[-1]}, bearer=ADMIN)
    streams.append(again)
    got += [again.data("workshop")["position"] for _ in range(4)]  # what was missed, from the log
    written.append(live.capacity(50))  # then live, on the same stream
    last = again.data("workshop")
    got.append(last["position"])
    assert got == written
    assert last["workshop"]["capacity"] == 50


def test_a_quiet_stream_opens_at_once_with_a_comment(live: Live, streams: list[SSE]) -> None:
    quiet = SSE(live.port, WORKSHOP, {"id": live.published}, bearer=ADMIN)
    streams.append(quiet)
    assert quiet.status == 200
    assert next(quiet.lines) == ": connected"  # before any keep-alive: the client knows it is subscribed


def test_keepalive_comments_flow_while_nothing_happens(live: Live, streams: list[SSE]) -> None:
    quiet = SSE(live.port, WORKSHOP, {"id": live.published}, bearer=ADMIN)
    streams.append(quiet)
    deadline = time.monotonic() + 10
    for line in quiet.lines:  # CITYNET_SSE_KEEPALIVE_SECONDS=0.5: comment lines, no event
        assert not line.startswith("event:"), line
        if line.startswith(": ping"):
            quiet.comments += 1
        if quiet.comments >= 2 or time.monotonic() > deadline:
            break
    assert quiet.comments >= 2


def test_a_browser_eventsource_can_subscribe_with_get(live: Live, streams: list[SSE]) -> None:
    anonymous = SSE(live.port, WORKSHOP, {"id": live.published, "after": live.position()}, method="GET")
    streams.append(anonymous)
    assert anonymous.status == 200
    position = live.capacity(44)
    assert anonymous.data("workshop")["position"] == position


def test_visibility_is_the_queries(live: Live, streams: list[SSE]) -> None:
    proposed = gql(live.port, """mutation($input: ProposeWorkshopInput!) { proposeWorkshop(input: $input) {
        ... on WorkshopPayload { workshop { id status } } } }""", {"input": {
        "title": "Blackout drill", "topic": "energy shortage", "networkIds": [live.ids["ICNCM"]],
        "partnerCityIds": [live.ids["Rostock"]], "hostCityId": live.ids["Vienna"], "venue": "City Hall",
        "capacity": 5}}, bearer=ADMIN)["proposeWorkshop"]["workshop"]
    assert proposed["status"] == "PROPOSED"
    anonymous = SSE(live.port, WORKSHOP, {"id": proposed["id"], "after": 0})
    streams.append(anonymous)
    assert anonymous.error()["extensions"]["code"] == "NOT_FOUND"  # nothing of it, not even its history
    for query, variables in ((REGISTRATIONS, {"id": live.published}), (EVENTS, {})):
        refused = SSE(live.port, query, variables)
        streams.append(refused)
        assert refused.error()["extensions"]["code"] == "FORBIDDEN"
    auditor = SSE(live.port, EVENTS, {"after": live.position()}, bearer=token("auditor"))
    streams.append(auditor)
    position = live.capacity(45)
    assert auditor.data("events")["position"] == position


def test_the_query_limits_apply(live: Live, streams: list[SSE]) -> None:
    deep = "subscription($id: ID!) { network(id: $id) { network { " + \
        "members(first: 1) { edges { node { city { memberships { network { " * 3 + "id" + " } } } } } }" * 3 + \
        " } } }"
    aliases = "subscription($id: ID!) { network(id: $id) { " + " ".join(f"a{i}: position" for i in range(20)) + " } }"
    costly = "subscription($id: ID!) { network(id: $id) { network { " + " ".join(
        f"m{i}: members(first: 100) {{ edges {{ node {{ city {{ memberships {{ network {{ members(first: 100) "
        "{ totalCount } } } } } } }" for i in range(14)) + " } } }"
    tokens = "subscription($id: ID!) { network(id: $id) { " + "position " * 2100 + "} }"
    for document, says in ((deep, "exceeds maximum operation depth"), (aliases, "aliases"),
                           (costly, "QUERY_TOO_COSTLY"), (tokens, "token")):
        error = _error_of(live, document)  # one `next` with the error, then `complete`: nothing ran
        assert says in error["message"] or says == (error.get("extensions") or {}).get("code"), error
    too_big = httpx.post(f"http://127.0.0.1:{live.port}/graphql", headers={"accept": "text/event-stream"},
                         json={"query": "subscription { events { position } }" + " " * 200_000}, timeout=20)
    assert too_big.status_code == 413
    query = httpx.post(f"http://127.0.0.1:{live.port}/graphql", headers={"accept": "text/event-stream"},
                       json={"query": "{ readPosition }"}, timeout=20)
    assert query.status_code == 400 and "subscriptions" in query.json()["errors"][0]["message"]
    garbled = httpx.post(f"http://127.0.0.1:{live.port}/graphql", timeout=20, content=b"{not json",
                         headers={"accept": "text/event-stream", "content-type": "application/json"})
    assert garbled.status_code == 400


def _error_of(live: Live, document: str) -> dict[str, Any]:
    stream = SSE(live.port, document, {"id": live.ids["UBC"]}, bearer=ADMIN)
    try:
        return stream.error()
    finally:
        stream.close()


def test_a_bad_token_is_refused_and_an_expiring_one_ends_the_stream(live: Live, streams: list[SSE]) -> None:
    bad = SSE(live.port, EVENTS, {}, bearer="not.a.token")
    streams.append(bad)
    assert bad.status == 401
    expiring = SSE(live.port, EVENTS, {"after": live.position()}, bearer=short_token(2.0))
    streams.append(expiring)
    assert expiring.status == 200
    error = expiring.error()
    assert error["extensions"]["code"] == "TOKEN_EXPIRED"


def test_connections_per_identity_count_both_transports(live: Live, streams: list[SSE]) -> None:
    bearer = token("auditor")  # CITYNET_MAX_CONNECTIONS_PER_IDENTITY=2
    first, second = (SSE(live.port, EVENTS, {}, bearer=bearer) for _ in range(2))
    streams += [first, second]
    assert first.status == second.status == 200
    third = SSE(live.port, EVENTS, {}, bearer=bearer, headers={"origin": ORIGIN})
    streams.append(third)
    assert third.status == 429 and third.response.headers["retry-after"]
    assert "Retry-After" in third.response.headers["access-control-expose-headers"]  # a partner page can read it
    with connect(f"ws://127.0.0.1:{live.port}/graphql", subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                 open_timeout=10) as ws:
        ws.send('{"type": "connection_init", "payload": {"authorization": "Bearer %s"}}' % bearer)
        with pytest.raises(Exception) as closed:
            ws.recv(timeout=10)
        assert "1013" in str(closed.value)
    first.close()  # a closed stream frees its place once the server sees the disconnect
    deadline = time.monotonic() + 10
    while True:
        fourth = SSE(live.port, EVENTS, {}, bearer=bearer)
        streams.append(fourth)
        if fourth.status == 200 or time.monotonic() > deadline:
            break
        fourth.close()
        time.sleep(0.1)
    assert fourth.status == 200


def test_cors_as_for_the_rest_of_the_api(live: Live, streams: list[SSE]) -> None:
    preflight = httpx.options(f"http://127.0.0.1:{live.port}/graphql", headers={
        "origin": ORIGIN, "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type"}, timeout=10)
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    stream = SSE(live.port, WORKSHOP, {"id": live.published}, bearer=ADMIN, headers={"origin": ORIGIN})
    streams.append(stream)
    assert stream.response.headers["access-control-allow-origin"] == ORIGIN
    other = SSE(live.port, WORKSHOP, {"id": live.published}, bearer=ADMIN, headers={"origin": "https://evil.example"})
    streams.append(other)
    assert "access-control-allow-origin" not in other.response.headers


@pytest.mark.parametrize("store", STORES)
def test_a_slow_consumer_is_told_and_dropped(store: str, tmp_path: Path, streams: list[SSE]) -> None:
    with database(store, tmp_path) as env:
        seeded(env)
        live = Live({**env, "CITYNET_LIVE_QUEUE_SIZE": "1"})
        try:
            # One command, several events dispatched at once: more than the queue of 1 holds.
            tail = SSE(live.port, EVENTS, {"after": live.position()}, bearer=token("auditor"))
            streams.append(tail)
            result = gql(live.port, """mutation($input: RegisterDelegateInput!) { registerDelegate(input: $input) {
                __typename ... on RegistrationPayload { position } } }""", {"input": {
                "workshopId": live.published, "cityId": live.ids["Rostock"], "name": "Ada Example",
                "email": "ada@example.org", "function": "FIREFIGHTER"}}, bearer=ADMIN)
            assert result["registerDelegate"]["__typename"] == "RegistrationPayload", result
            seen = []
            while True:
                payload = tail.next()
                if payload.get("errors"):
                    break
                seen.append(payload["data"]["events"]["position"])
            assert payload["errors"][0]["extensions"]["code"] == "SLOW_CONSUMER"
            assert tail.event()[0] == "complete"
            assert len(seen) <= 1
            tail.close()
        finally:
            live.server.stop()


@pytest.mark.postgres
def test_a_mutation_on_server_a_reaches_a_stream_on_server_b(tmp_path: Path, streams: list[SSE]) -> None:
    with database("postgres", tmp_path) as env:
        seeded(env)
        a = Live(env)
        b = Server(env, "--no-projections")
        try:
            stream = SSE(b.port, WORKSHOP, {"id": a.published, "after": a.position()}, bearer=ADMIN)
            streams.append(stream)
            delays, positions = [], []
            for capacity in range(60, 70):
                positions.append(a.capacity(capacity))
                sent = time.monotonic()
                got = stream.data("workshop")
                delays.append(time.monotonic() - sent)
                assert got["position"] == positions[-1] and got["workshop"]["capacity"] == capacity
            print(f"A -> B over SSE after A's reply: max {max(delays) * 1000:.1f} ms over {len(delays)}")
            assert max(delays) < 2.0  # generous on a shared machine; the figures are printed
            stream.close()  # dropped on B, resumed on A
            positions += [a.capacity(c) for c in (90, 91)]
            resumed = SSE(a.port, WORKSHOP, {"id": a.published, "after": positions[-3]}, bearer=ADMIN)
            streams.append(resumed)
            assert [resumed.data("workshop")["position"] for _ in range(2)] == positions[-2:]
            resumed.close()
        finally:
            a.server.stop()
            b.stop()
