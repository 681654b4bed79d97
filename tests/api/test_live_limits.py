"""Limits of the live-update WebSocket: protocols offered, subscriptions per connection, connections
per identity, message size, token expiry; and a slow consumer in the feed itself."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest

from citynet.infra.auth import mint
from litestar.security.jwt import Token
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from redis.exceptions import ConnectionError as RedisConnectionError

from citynet.graphql.schema import CitynetSchema
from citynet.infra.app import create_app
from citynet.infra.live_slots import RedisSlots
from citynet.infra.operation_budget import OperationBudget
from citynet.infra.rate_limit_store import FallbackStore
from citynet.infra.settings import Settings
from citynet.services.live import LiveFeed, SlowConsumer
from citynet.services.readmodel.audit_queries import EventRow
from tests.api.test_subscriptions import Live
from tests.conftest import mint_token

NETWORKS = "subscription { events { position } }"


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[Any]:
    """A test client of an app made with ``settings``; its WebSockets are closed before the app stops (an
    open test WebSocket would keep it waiting)."""
    with TestClient(app=create_app(settings)) as test_client:
        test_client.settings = settings  # type: ignore[attr-defined]
        try:
            yield test_client
        finally:
            while Live.opened:
                Live.opened.pop().close()


@pytest.fixture
def client(tmp_path: Path) -> Any:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.sqlite3'}", max_subscriptions_per_connection=2,
                        max_connections_per_identity=2, max_body_bytes=2048, max_tokens=100)
    with serving(settings) as test_client:
        yield test_client


def test_the_legacy_graphql_ws_protocol_is_not_offered(client: Any) -> None:
    legacy = Live(client, protocols=("graphql-ws",))
    assert legacy.receive() == {"type": "closed", "code": 4406, "reason": "Subprotocol not acceptable"}


def test_subscriptions_past_the_limit_on_one_connection_are_refused(client: Any) -> None:
    live = Live(client, mint_token(client.settings, "auditor"))
    assert live.init()["type"] == "connection_ack"
    for n in range(5):
        live.subscribe(f"s{n}", NETWORKS)
    refusals = [live.receive() for _ in range(3)]
    assert [(r["id"], r["type"]) for r in refusals] == [("s2", "error"), ("s3", "error"), ("s4", "error")]
    assert refusals[0]["payload"][0]["message"] == "Subscription limit reached"


def test_connections_past_the_limit_per_identity_are_closed(client: Any) -> None:
    token = mint_token(client.settings, "auditor")
    first, second, third = (Live(client, token) for _ in range(3))
    assert first.init()["type"] == "connection_ack" and second.init()["type"] == "connection_ack"
    # 1013 "Try Again Later": graphql-ws clients retry it (4429 they never retry)
    assert third.init() == {"type": "closed", "code": 1013, "reason": "Too many connections for this identity"}
    first.close()  # a closed connection frees its place
    fourth = Live(client, token)
    assert fourth.init()["type"] == "connection_ack"


def test_a_message_over_the_body_limit_is_refused_unread(client: Any) -> None:
    live = Live(client)
    live.init()
    live.send({"id": "big", "type": "subscribe", "payload": {"query": "{ __typename }" + " " * 10_000}})
    closed = live.receive()
    assert closed["type"] == "closed" and closed["code"] == 1009


def test_the_connection_ends_with_4403_when_its_token_expires(client: Any) -> None:
    config = client.settings.token_config
    soon = Token(exp=datetime.now(timezone.utc) + timedelta(seconds=1), sub="short", iss=config.issuer,
                 aud=config.audience, extras={"role": "auditor"}).encode(config.signing_key, config.algorithm)
    live = Live(client, soon)
    assert live.init()["type"] == "connection_ack"
    live.subscribe("e", NETWORKS)
    assert live.receive() == {"type": "closed", "code": 4403, "reason": "Forbidden: token expired"}


def _row(position: int, aggregate: str = "a") -> EventRow:
    return EventRow(position, aggregate, position, "Workshop", "Workshop.Changed", "2026-01-01T00:00:00+00:00",
                    "x", "admin", None, "c", "c", "cmd", {})


def test_a_slow_consumer_is_dropped_not_buffered() -> None:
    async def scenario() -> tuple[list[SlowConsumer], bool]:
        board = type("Board", (), {"standings": {}, "reached": lambda self: 0,
                                   "wait_async": lambda self, t, timeout: asyncio.sleep(3600)})()
        feed = LiveFeed(type("C", (), {"projections": type("P", (), {"board": board})()})(), queue_size=2)
        told: list[SlowConsumer] = []
        stream = feed.events(frozenset({"a"}), None, on_overflow=told.append)
        first = asyncio.ensure_future(stream.__anext__())
        await asyncio.sleep(0)  # the subscriber is live now (nothing to catch up)
        for position in (1, 2, 3, 4):
            for sub in list(feed._by_key.get("a", ())):
                feed._offer(sub, _row(position))
        got = await first  # what was queued in time is still delivered...
        try:
            await stream.__anext__()
            raised = False
        except SlowConsumer:  # ...then the overflow ends the stream
            raised = True
        await stream.aclose()
        assert got.position == 1 and feed.subscriber_count == 0
        return told, raised

    told, raised = asyncio.run(scenario())
    assert len(told) == 1 and raised


def test_graphiql_subscribes_over_the_served_protocol(client: Any) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "subscriptionUrl" in page.text  # ws URL derived from the page's


@pytest.fixture
def pinging(tmp_path: Path) -> Any:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.sqlite3'}", ws_ping_seconds=0.2,
                        ws_pong_timeout_seconds=0.5)
    with serving(settings) as test_client:
        yield test_client


def test_the_server_pings_and_closes_a_connection_that_does_not_answer(pinging: Any) -> None:
    live = Live(pinging)
    assert live.init()["type"] == "connection_ack"
    for _ in range(3):  # answered pings keep the connection open
        assert live.receive() == {"type": "ping"}
        live.send({"type": "pong"})
    assert live.receive() == {"type": "ping"}  # this one is left unanswered
    assert live.receive() == {"type": "closed", "code": 4499, "reason": "Terminated: no pong"}


def test_a_document_over_the_token_limit_is_refused_on_the_websocket(client: Any) -> None:
    live = Live(client, mint_token(client.settings, "auditor"))
    assert live.init()["type"] == "connection_ack"
    live.subscribe("t", "subscription { events { " + "position " * 150 + "} }")
    refused = live.receive()  # a syntax error: strawberry closes with 4400 and the parser's message
    assert refused["type"] == "closed" and refused["code"] == 4400, refused
    assert "more than 100 tokens" in refused["reason"]


def test_answering_server_pings_does_not_keep_an_idle_connection_open(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'i.sqlite3'}", ws_ping_seconds=0.2,
                        ws_pong_timeout_seconds=1.0, ws_idle_seconds=1.0)
    with serving(settings) as test_client:
        live = Live(test_client)
        assert live.init()["type"] == "connection_ack"
        while True:  # no subscription: pongs alone do not count as activity
            message = live.receive()
            if message["type"] != "ping":
                break
            live.send({"type": "pong"})
        assert message == {"type": "closed", "code": 1000, "reason": "Idle timeout"}


DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_a_dead_redis_leaves_rate_limits_to_this_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}", redis_url=DEAD_REDIS,
                        rate_limit_per_minute=3)
    logger = logging.getLogger("citynet.infra.redis_outage")
    logger.addHandler(caplog.handler)  # the app's logging configuration does not propagate to caplog's
    try:
        with TestClient(app=create_app(settings)) as test_client:
            codes = [test_client.post("/graphql", json={"query": "{ readPosition }"}).status_code for _ in range(4)]
    finally:
        logger.removeHandler(caplog.handler)
    assert codes == [200, 200, 200, 429]  # answered, and still limited: counted here
    warnings = [r.getMessage() for r in caplog.records if r.name == logger.name and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "127.0.0.1:1" in warnings[0]  # once, not per request


class _Flaky(MemoryStore):
    """A store that fails while ``down``."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True

    async def get(self, key: str, renew_for: Any = None) -> bytes | None:
        if self.down:
            raise RedisConnectionError("refused")
        return await super().get(key, renew_for)


def test_the_rate_limit_store_tries_redis_again_after_a_while() -> None:
    async def scenario() -> list[bytes | None]:
        primary, fallback = _Flaky(), MemoryStore()
        await primary.set("k", b"shared")
        await fallback.set("k", b"local")
        store = FallbackStore(primary, fallback, retry_seconds=0.05)
        got = [await store.get("k")]
        primary.down = False
        got.append(await store.get("k"))  # still within the retry interval: the fallback
        await asyncio.sleep(0.06)
        got.append(await store.get("k"))
        return got

    assert asyncio.run(scenario()) == [b"local", b"local", b"shared"]


def test_a_page_on_another_origin_can_read_when_to_retry(tmp_path: Path) -> None:
    origin = "https://partner.example"
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'o.sqlite3'}", allowed_origins=(origin,),
                        rate_limit_per_minute=1, max_connections_per_identity=1)
    with TestClient(app=create_app(settings)) as test_client:
        answers = [test_client.post("/graphql", json={"query": "{ readPosition }"}, headers={"origin": origin})
                   for _ in range(2)]
    refused = answers[1]
    assert refused.status_code == 429 and refused.headers["retry-after"]
    assert refused.headers["access-control-allow-origin"] == origin
    exposed = {h.strip().lower() for h in refused.headers["access-control-expose-headers"].split(",")}
    assert "retry-after" in exposed and "ratelimit-remaining" in exposed


# The rate limit's budget, shared by HTTP and live updates (infra/operation_budget.py).

@pytest.fixture
def limited(tmp_path: Path) -> Any:
    """Three requests a minute per identity; WebSocket sockets to spare."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.sqlite3'}", rate_limit_per_minute=3,
                        max_connections_per_identity=5)
    with serving(settings) as test_client:
        yield test_client


def _assert_rate_limited(message: dict[str, Any], op_id: str) -> None:
    assert message["id"] == op_id and message["type"] == "error", message
    [error] = message["payload"]
    retry_after = error["extensions"]["retryAfter"]
    assert error["extensions"]["code"] == "RATE_LIMITED" and 1 <= retry_after <= 60
    assert error["message"] == f"Too many requests: retry after {retry_after} s"


def _still_open(live: Live) -> bool:
    live.send({"type": "ping"})
    return live.receive() == {"type": "pong"}


def test_queries_over_the_websocket_spend_the_rate_limit(limited: Any) -> None:
    live = Live(limited)
    assert live.init()["type"] == "connection_ack"  # one unit
    for n in range(2):  # two more: the budget of 3 is spent
        live.subscribe(f"q{n}", "{ readPosition }")
        assert live.next(f"q{n}")["data"] is not None
        assert live.receive() == {"id": f"q{n}", "type": "complete"}
    live.subscribe("q2", "{ readPosition }")
    _assert_rate_limited(live.receive(), "q2")
    assert _still_open(live)  # the operation is refused, not the connection


def test_subscribe_messages_spend_the_rate_limit(limited: Any) -> None:
    live = Live(limited, mint_token(limited.settings, "auditor"))
    assert live.init()["type"] == "connection_ack"
    live.subscribe("s0", NETWORKS)
    live.subscribe("s1", NETWORKS)
    live.subscribe("s2", NETWORKS)  # the fourth unit of three
    _assert_rate_limited(live.receive(), "s2")
    assert _still_open(live)


def test_http_and_the_websocket_share_one_budget(limited: Any) -> None:
    assert [limited.post("/graphql", json={"query": "{ readPosition }"}).status_code for _ in range(2)] == [200, 200]
    live = Live(limited)
    assert live.init()["type"] == "connection_ack"  # the third unit
    live.subscribe("q", "{ readPosition }")
    _assert_rate_limited(live.receive(), "q")
    assert limited.post("/graphql", json={"query": "{ readPosition }"}).status_code == 429


def test_connection_init_past_the_budget_is_closed_to_be_retried_later(limited: Any) -> None:
    assert [limited.post("/graphql", json={"query": "{ readPosition }"}).status_code for _ in range(3)] == [200] * 3
    closed = Live(limited).init()
    assert closed["type"] == "closed" and closed["code"] == 1013, closed
    assert closed["reason"].startswith("Too many requests: retry after ")


def test_a_socket_without_connection_init_is_closed_after_the_wait(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}", ws_init_seconds=0.3)
    with serving(settings) as test_client:
        silent = Live(test_client)
        assert silent.receive() == {"type": "closed", "code": 4408, "reason": "Connection initialisation timeout"}


def test_one_address_holds_few_uninitialised_sockets(client: Any) -> None:
    held = [Live(client) for _ in range(8)]  # four times the limit per identity (2): a NAT's users open several
    extra = Live(client)
    assert extra.receive() == {"type": "closed", "code": 1013, "reason": "Too many connections for this identity"}
    tokens = [mint(client.settings.token_config, subject=f"nat-{n}", role="auditor") for n in range(3)]
    assert held[0].init(tokens[0])["type"] == "connection_ack"  # initialised: no longer pending
    again = Live(client)  # takes the place held[0] left
    assert again.init(tokens[1])["type"] == "connection_ack"
    assert held[1].init(tokens[2])["type"] == "connection_ack"


def test_a_flood_of_messages_closes_the_connection(client: Any) -> None:
    """Found by a review: pings cost nothing, and a flood of them pegged the server."""
    live = Live(client, mint_token(client.settings, "auditor"))
    assert live.init()["type"] == "connection_ack"  # connection_init: the first of 100 messages in 10 s
    for _ in range(150):
        live.send({"type": "ping"})
    messages = [live.receive() for _ in range(100)]
    assert [m["type"] for m in messages[:-1]] == ["pong"] * 99
    assert messages[-1] == {"type": "closed", "code": 1008, "reason": "Policy Violation: too many messages"}


def test_pings_alone_do_not_keep_a_connection_open(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'p.sqlite3'}", ws_idle_seconds=0.6)
    with serving(settings) as test_client:
        live = Live(test_client)
        assert live.init()["type"] == "connection_ack"
        started, message = time.monotonic(), {"type": "pong"}
        while message["type"] == "pong" and time.monotonic() - started < 5:
            live.send({"type": "ping"})
            message = live.receive()
            time.sleep(0.1)
        assert message == {"type": "closed", "code": 1000, "reason": "Idle timeout"}
        assert time.monotonic() - started < 2


def test_the_budget_grants_what_the_window_has_room_for() -> None:
    async def scenario() -> tuple[list[Any], dict[str, Any]]:
        store = MemoryStore()
        budget = OperationBudget(store, per_minute=5)
        caller = budget.bound("ip:10.0.0.1")
        got = [await caller.take_up_to(3), await caller.take_up_to(3), await budget.take("ip:10.0.0.1"),
               await budget.take("ip:10.0.0.2")]
        record = json.loads(await store.get("RateLimitMiddleware::ip:10.0.0.1") or b"{}")  # the middleware's record
        replays = json.loads(await store.get("LiveReplay::ip:10.0.0.1") or b"{}")
        assert len(replays["history"]) == 5
        return got, record

    got, record = asyncio.run(scenario())
    # Replays have a record of their own: the requests' record still has room (a review: a dashboard's
    # resumes spent its whole minute and its next query got 429).
    assert got == [3, 2, None, None]
    assert len(record["history"]) == 1 and record["reset"] > 0


def test_live_slots_wait_for_a_silent_redis_once_then_count_here(caplog: pytest.LogCaptureFixture) -> None:
    """A Redis that accepts connections and never answers (review N6): the first connection waits for the
    timeout, the next ones are counted in this process at once, with one warning."""
    async def scenario() -> tuple[list[float], list[Any]]:
        silent: list[asyncio.StreamWriter] = []

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            silent.append(writer)  # accept, never answer

        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        slots = RedisSlots(f"redis://127.0.0.1:{port}/0")
        waits: list[float] = []
        held: list[Any] = []
        loop = asyncio.get_running_loop()
        for _ in range(4):
            started = loop.time()
            held.append(await slots.acquire("ip:10.0.0.9", 3))
            waits.append(loop.time() - started)
        for slot in held:
            if slot is not None:
                await slot.release()
        await slots.client.aclose()
        for writer in silent:
            writer.close()
        server.close()
        return waits, held

    logger = logging.getLogger("citynet.infra.redis_outage")
    with caplog.at_level(logging.WARNING, logger=logger.name):
        waits, held = asyncio.run(scenario())
    assert 0.9 <= waits[0] < 3 and max(waits[1:]) < 0.2, waits
    assert [slot is not None for slot in held] == [True, True, True, False]  # still limited: counted here
    warnings = [r.getMessage() for r in caplog.records if r.name == logger.name and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "did not answer" in warnings[0], warnings


def test_resolvers_of_live_operations_can_spend_the_callers_budget(limited: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Context.live_budget`` (WebSocket and Server-Sent Events): the caller's budget, shared with HTTP."""
    granted: list[int] = []
    stream = CitynetSchema.stream

    async def spending(self: Any, *args: Any, **kwargs: Any) -> Any:
        granted.append(await kwargs["context_value"].live_budget.take_up_to(5))
        return await stream(self, *args, **kwargs)

    monkeypatch.setattr(CitynetSchema, "stream", spending)
    missing = "subscription { workshop(id: \"V29ya3Nob3A6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw\") { position } }"
    sse = limited.post("/graphql", json={"query": missing}, headers={"accept": "text/event-stream"})
    assert sse.status_code == 200 and "event: complete" in sse.text  # the request took one unit
    assert granted == [3]  # replays: a record of their own, three a minute here
    assert limited.post("/graphql", json={"query": "{ readPosition }"}).status_code == 200  # the second unit


def test_live_budget_on_the_websocket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'l.sqlite3'}", rate_limit_per_minute=4)
    budgets: list[Any] = []
    stream = CitynetSchema.stream

    async def spending(self: Any, *args: Any, **kwargs: Any) -> Any:
        budgets.append(kwargs["context_value"].live_budget)
        budgets.append(await budgets[-1].take_up_to(5))
        return await stream(self, *args, **kwargs)

    monkeypatch.setattr(CitynetSchema, "stream", spending)
    with serving(settings) as test_client:
        live = Live(test_client)
        assert live.init()["type"] == "connection_ack"  # one unit, the subscribe message two
        live.subscribe("q", "{ readPosition }")
        assert live.next("q")["data"] is not None
        assert budgets[1] == 4 and budgets[0].identity == "ip:testclient"  # the replays' own record
        assert test_client.post("/graphql", json={"query": "{ readPosition }"}).status_code == 200

    unlimited = Settings(database_url=f"sqlite:///{tmp_path / 'u.sqlite3'}", rate_limit_per_minute=0)
    budgets.clear()
    monkeypatch.setattr(CitynetSchema, "stream", lambda self, *a, **k: (budgets.append(k["context_value"].live_budget),
                                                                         stream(self, *a, **k))[1])
    with serving(unlimited) as test_client:
        live = Live(test_client)
        assert live.init()["type"] == "connection_ack"
        live.subscribe("q", "{ readPosition }")
        assert live.next("q")["data"] is not None
        assert budgets == [None]  # no rate limit, no budget


def test_a_silent_redis_holds_up_one_connection_once_for_the_rate_limit_and_the_slots(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Both Redis users share what they learned: the first WebSocket waits one timeout, not one each."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)  # accepted by the kernel, never answered
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.sqlite3'}",
                        redis_url=f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    logger = logging.getLogger("citynet.infra.redis_outage")
    logger.addHandler(caplog.handler)
    try:
        with serving(settings) as test_client:
            waits = []
            for _ in range(3):
                started = time.monotonic()
                live = Live(test_client)
                assert live.init()["type"] == "connection_ack"
                waits.append(time.monotonic() - started)
                live.close()
    finally:
        logger.removeHandler(caplog.handler)
        listener.close()
    assert 0.9 <= waits[0] < 1.9 and max(waits[1:]) < 0.5, waits
    warnings = [r.getMessage() for r in caplog.records if r.name == logger.name and r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
