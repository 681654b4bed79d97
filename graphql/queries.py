"""Query root: networks, cities, bridges between networks, and any node by id."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from citynet.graphql.context import Info
from citynet.graphql.ids import decode_any, from_global_id
from citynet.graphql.types import City, Commission, Connection, Network, Node, Position, to_connection


def _not_found(kind: str, field: str, value: str) -> GraphQLError:
    return GraphQLError(f"{field}: {kind} {value!r} not found", extensions={"code": "NOT_FOUND", "field": field})


@strawberry.type
class Query:
    @strawberry.field(description="Any object by its global id; null if there is none.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = decode_any(id)
        if decoded is None:
            return None
        kind, parts = decoded
        load = info.context.load
        if kind == "City" and len(parts) == 1:
            row = await load.city.load(parts[0])
            return City.from_row(row) if row else None
        if kind == "Network" and len(parts) == 1:
            row = await load.network.load(parts[0])
            return Network.from_row(row) if row else None
        if kind == "Commission" and len(parts) == 2:
            row = await load.commission.load(parts[1])
            return Commission.from_row(row) if row and row.network_id == parts[0] else None
        return None

    @strawberry.field(description="Networks, ordered by name.")
    async def networks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Network]:
        page = await info.context.services.reads.networks_page(first, after)
        return to_connection(page, Network.from_row)

    @strawberry.field(description="One network by id.")
    async def network(self, info: Info, id: strawberry.ID) -> Network | None:
        (network_id,) = from_global_id(id, "Network", "id")
        row = await info.context.load.network.load(str(network_id))
        if row is None:
            raise _not_found("Network", "id", id)
        return Network.from_row(row)

    @strawberry.field(description="Cities, ordered by name; optionally of one country.")
    async def cities(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        country_code: str | None = None,
    ) -> Connection[City]:
        page = await info.context.services.reads.cities_page(first, after, country_code=country_code)
        return to_connection(page, City.from_row)

    @strawberry.field(description="One city by id.")
    async def city(self, info: Info, id: strawberry.ID) -> City | None:
        (city_id,) = from_global_id(id, "City", "id")
        row = await info.context.load.city.load(str(city_id))
        if row is None:
            raise _not_found("City", "id", id)
        return City.from_row(row)

    @strawberry.field(description="Cities that belong to at least `minNetworks` networks now (default 2).")
    async def bridge_cities(
        self, info: Info, first: int | None = None, after: str | None = None, min_networks: int = 2
    ) -> Connection[City]:
        page = await info.context.services.reads.cities_page(first, after, min_networks=max(min_networks, 1))
        return to_connection(page, City.from_row)

    @strawberry.field(description="How far the read models have got in the event log.")
    async def read_position(self, info: Info) -> Position:  # type: ignore[valid-type]
        return await info.context.services.reads.position()
