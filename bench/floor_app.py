"""The write path's floor: the same server stack (uvicorn, Litestar, strawberry) answering a mutation of
registerCity's shape that does nothing but its thread hop. bench/projections.py serves it and drives it
like registerCity; what citynet adds to a write is measured against it and against a bare save.

    uv run uvicorn bench.floor_app:app --port 8911
"""

from __future__ import annotations

import anyio.to_thread
import strawberry
from litestar import Litestar
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.litestar import make_graphql_controller


@strawberry.input
class RegisterCityInput:
    name: str
    country_code: str
    time_zone: str


@strawberry.type
class RegisterCityPayload:
    name: str


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_city(self, input: RegisterCityInput) -> RegisterCityPayload:
        # citynet runs each command in a worker thread: the hop is part of the floor.
        name = await anyio.to_thread.run_sync(lambda: input.name)
        return RegisterCityPayload(name=name)


schema = strawberry.Schema(Query, Mutation, extensions=[ParserCache, ValidationCache])
app = Litestar(route_handlers=[make_graphql_controller(schema, path="/graphql")])
