"""The baseline for the read benchmark: a plain Litestar endpoint on a psycopg async pool that
serves the same rows as the GraphQL query "networks with their members", as JSON.

Run by bench/reads.py as its own server process: ``uvicorn bench.plain_reads:app`` with
CITYNET_DATABASE_URL set (a postgresql:// URL).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.datastructures import State
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

NETWORKS = "SELECT id, name, short_name, founded_on FROM rm_networks ORDER BY name, id LIMIT 50"
MEMBERS = """SELECT m.network_id, m.role, m.member_since, c.id, c.name, c.country_code, c.time_zone
  FROM rm_memberships m JOIN rm_cities c ON c.id = m.city_id
  WHERE m.network_id = ANY(%s) ORDER BY c.name, c.id"""


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    pool = AsyncConnectionPool(os.environ["CITYNET_DATABASE_URL"], min_size=4, max_size=8, open=False,
                               kwargs={"row_factory": dict_row})
    await pool.open()
    app.state.pool = pool
    try:
        yield
    finally:
        await pool.close()


@get("/plain/networks")
async def networks(state: State) -> list[dict[str, Any]]:
    async with state.pool.connection() as conn:
        found = await (await conn.execute(NETWORKS)).fetchall()
        members = await (await conn.execute(MEMBERS, ([n["id"] for n in found],))).fetchall()
    by_network: dict[str, list[dict[str, Any]]] = {}
    for m in members:
        by_network.setdefault(m["network_id"], []).append({
            "role": m["role"], "memberSince": m["member_since"].isoformat(),
            "city": {"id": m["id"], "name": m["name"], "countryCode": m["country_code"], "timeZone": m["time_zone"]}})
    return [{"id": n["id"], "name": n["name"], "shortName": n["short_name"], "foundedOn": n["founded_on"].isoformat(),
             "members": by_network.get(n["id"], [])} for n in found]


app = Litestar(route_handlers=[networks], lifespan=[lifespan], openapi_config=None)
