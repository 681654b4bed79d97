"""The ruler: citynet against plain baselines, side by side in one run.

(a) the GraphQL query "networks with their members" against a plain Litestar
    JSON endpoint that serves the same read-model rows through the same
    ReadModel queries (both in-process over ASGI, so transport costs match);
(b) the registerCity mutation (command, event store, projection, payload)
    against raw psycopg single-row INSERT transactions on the same PostgreSQL.

Usage: uv run python bench/run.py [--reads N] [--writes N]
PostgreSQL from CITYNET_BENCH_POSTGRES_URL (default: the test server). Prints
each pair's throughput and their ratio; there is no target yet.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from collections.abc import Callable

import psycopg
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.testing import TestClient
from psycopg import sql

from citynet.infra.app import create_app
from citynet.infra.auth import mint
from citynet.infra.settings import Settings
from citynet.services.demo import load_demo

ADMIN_URL = os.environ.get(
    "CITYNET_BENCH_POSTGRES_URL",
    os.environ.get("CITYNET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
)
NETWORKS_QUERY = """{ networks(first: 50) { edges { node { id name shortName foundedOn
  members(first: 100) { edges { node { role memberSince city { id name countryCode timeZone } } } } } } } }"""


def rate(n: int, action: Callable[[int], None]) -> float:
    action(-1)  # warm-up
    start = time.perf_counter()
    for i in range(n):
        action(i)
    return n / (time.perf_counter() - start)


def plain_app(database_url: str) -> Litestar:
    """A plain Litestar endpoint serving the same rows, no GraphQL."""
    base = create_app(Settings(database_url=database_url, rate_limit_per_minute=1_000_000))

    @get("/plain/networks")
    async def networks(state: State) -> list[dict]:
        reads = state.citynet.reads
        page = await reads.networks_page(50, None)
        ids = [n.id for _, n in page.items]
        members = await reads.members_by_network(ids)
        cities = await reads.cities_by_id({m.city_id for ms in members.values() for m in ms})
        return [
            {
                "id": n.id, "name": n.name, "shortName": n.short_name, "foundedOn": n.founded_on.isoformat(),
                "members": [
                    {"role": m.role, "memberSince": m.member_since.isoformat(),
                     "city": vars(cities[m.city_id])}
                    for m in members.get(n.id, [])
                ],
            }
            for _, n in page.items
        ]

    base.register(networks)
    return base


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--writes", type=int, default=300)
    args = parser.parse_args()

    name = f"citynet_bench_{uuid.uuid4().hex[:8]}"
    base, _, _ = ADMIN_URL.rpartition("/")
    url = f"{base}/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        with TestClient(app=plain_app(url)) as client:
            load_demo(client.app.state.citynet)

            def graphql_read(_: int) -> None:
                r = client.post("/graphql", json={"query": NETWORKS_QUERY})
                assert r.status_code == 200 and "errors" not in r.json()

            def plain_read(_: int) -> None:
                assert client.get("/plain/networks").status_code == 200

            graphql_rps = rate(args.reads, graphql_read)
            plain_rps = rate(args.reads, plain_read)

            mutation = """mutation($input: RegisterCityInput!) { registerCity(input: $input) {
                __typename ... on RegisterCityPayload { position } } }"""

            admin = {"Authorization": f"Bearer {mint(Settings().token_config, subject='bench', role='admin')}"}

            def create_city(i: int) -> None:
                r = client.post("/graphql", headers=admin, json={"query": mutation, "variables": {
                    "input": {"name": f"Bench City {i + 1}", "countryCode": "DE", "timeZone": "Europe/Berlin"}}})
                assert r.json()["data"]["registerCity"]["__typename"] == "RegisterCityPayload"

            mutation_rps = rate(args.writes, create_city)

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_cities (id uuid PRIMARY KEY, name text, country_code text, time_zone text)")

            def raw_insert(i: int) -> None:
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO bench_cities VALUES (%s, %s, %s, %s)",
                        (uuid.uuid4(), f"Bench City {i + 1}", "DE", "Europe/Berlin"),
                    )

            raw_rps = rate(args.writes, raw_insert)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    print(f"{'pair':<44}{'citynet/s':>12}{'baseline/s':>12}{'ratio':>8}")
    print(f"{'(a) networks+members: GraphQL vs plain JSON':<44}{graphql_rps:>12.1f}{plain_rps:>12.1f}{graphql_rps / plain_rps:>8.2f}")
    print(f"{'(b) registerCity vs raw psycopg insert':<44}{mutation_rps:>12.1f}{raw_rps:>12.1f}{mutation_rps / raw_rps:>8.2f}")


if __name__ == "__main__":
    main()
