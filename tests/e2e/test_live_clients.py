"""Real subscription clients, unchanged, against real server processes: python `gql` (websockets
transport, graphql-transport-ws), and run by node the npm `graphql-ws` client (WebSocket) and the npm
`graphql-sse` client (Server-Sent Events, distinct connections mode). On PostgreSQL they
subscribe on server B (no projections of its own) while the mutations go to server A; on SQLite,
one server does both.

The node client lives in tests/e2e/node_client (package.json and package-lock.json committed,
node_modules not): `npm ci` installs it on first use. Without node the test is skipped with the
reason; under CI=true a node that is present but cannot run the client is a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import threading
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.conftest import IN_CI
from tests.e2e.live_clients import Server, database, gql, seeded, token

NODE_CLIENT = Path(__file__).with_name("node_client")
ADMIN = token("admin", subject="e2e-clients-admin")
STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
WORKSHOP = """subscription($id: ID!, $after: Position) { workshop(id: $id, after: $after) {
  position eventType workshop { capacity } } }"""
CAPACITY = """mutation($id: ID!, $c: Int!) { setWorkshopCapacity(input: {workshopId: $id, capacity: $c}) {
  __typename ... on WorkshopPayload { position } } }"""


class Pair:
    """Server A takes the mutations; subscribers connect to B (the same server on SQLite)."""

    def __init__(self, env: dict[str, str], two: bool) -> None:
        self.a = Server(env)
        self.b = Server(env, "--no-projections") if two else self.a
        nodes = gql(self.a.port, "{ workshops { edges { node { id status } } } }", bearer=ADMIN)
        self.workshop = next(e["node"]["id"] for e in nodes["workshops"]["edges"]
                             if e["node"]["status"] in ("SCHEDULED", "CONFIRMED"))

    def position(self) -> int:
        return int(gql(self.a.port, "{ readPosition }")["readPosition"])

    def capacity(self, value: int) -> int:
        result = gql(self.a.port, CAPACITY, {"id": self.workshop, "c": value}, bearer=ADMIN)["setWorkshopCapacity"]
        assert result["__typename"] == "WorkshopPayload", result
        return int(result["position"])

    def stop(self) -> None:
        self.a.stop()
        if self.b is not self.a:
            self.b.stop()


@pytest.fixture(scope="module", params=STORES)
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with database(request.param, tmp_path_factory.mktemp("clients")) as env:
        seeded(env)
        servers = Pair({**env, "CITYNET_RATE_LIMIT_PER_MINUTE": "0"}, two=request.param == "postgres")
        try:
            yield servers
        finally:
            servers.stop()


def test_python_gql_client_receives_a_mutation(pair: Pair) -> None:
    async def scenario() -> list[dict[str, Any]]:
        transport = WebsocketsTransport(url=f"ws://127.0.0.1:{pair.b.port}/graphql",
                                        init_payload={"authorization": f"Bearer {ADMIN}"},
                                        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            request = GraphQLRequest(WORKSHOP, variable_values={"id": pair.workshop, "after": pair.position()})
            updates: list[dict[str, Any]] = []
            written: list[int] = []

            async def mutate() -> None:
                for capacity in (71, 72):
                    written.append(await asyncio.to_thread(pair.capacity, capacity))

            mutations = asyncio.ensure_future(mutate())
            async for result in session.subscribe(request):
                updates.append(result["workshop"])
                if len(updates) == 2:
                    break
            await mutations
            assert [u["position"] for u in updates] == written
            return updates

    updates = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert [u["workshop"]["capacity"] for u in updates] == [71, 72]


def _node_problem() -> str | None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return "node/npm not installed: the graphql-ws npm client cannot run"
    if not all((NODE_CLIENT / "node_modules" / name).is_dir() for name in ("graphql-ws", "graphql-sse", "ws")):
        installed = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE_CLIENT, capture_output=True,
                                   text=True, timeout=300)
        if installed.returncode != 0:
            problem = f"npm ci failed in {NODE_CLIENT}: {installed.stderr[-2000:]}"
            if IN_CI:
                pytest.fail(problem)
            return problem
    return None


@pytest.mark.parametrize("script, scheme", [("subscribe.mjs", "ws"), ("sse.mjs", "http")],
                         ids=["graphql-ws over WebSocket", "graphql-sse over Server-Sent Events"])
def test_node_clients_receive_a_mutation(pair: Pair, script: str, scheme: str) -> None:
    problem = _node_problem()
    if problem:
        pytest.skip(problem)
    after = pair.position()  # the subscription starts there: a mutation sent before it is live is not missed
    process = subprocess.Popen(
        ["node", script, f"{scheme}://127.0.0.1:{pair.b.port}/graphql", ADMIN, pair.workshop, str(after), "2"],
        cwd=NODE_CLIENT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True).start()
    try:
        first = json.loads(lines.get(timeout=30))
        assert first == {"connected": True}
        written = [pair.capacity(c) for c in (81, 82)]
        updates = [json.loads(lines.get(timeout=30))["data"]["workshop"] for _ in written]
        assert [u["position"] for u in updates] == written
        assert [u["workshop"]["capacity"] for u in updates] == [81, 82]
        assert process.wait(timeout=30) == 0, process.stderr.read() if process.stderr else ""
    except queue.Empty:
        process.kill()
        raise AssertionError(f"the node client printed nothing in time: {process.stderr.read() if process.stderr else ''}")
    finally:
        if process.poll() is None:
            process.kill()
