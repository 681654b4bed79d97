"""The write path's floor: the same server stack (uvicorn, Litestar, strawberry) answering a mutation of
registerCity's shape that does nothing but its thread hop. bench/projections.py serves it and drives it
like registerCity; what citynet adds to a write is measured against it and against a bare save.

With CITYNET_FLOOR_SAVE_URL (a PostgreSQL URL) the mutation also does, in its worker thread, the bare
eventsourcing `Application.save` that the benchmark's baseline does: that is the most any registerCity
served by this stack could reach, with nothing of citynet's own (no uniqueness, attribution, audit chain,
projections or read-your-writes). With CITYNET_FLOOR_ON_LOOP=1 as well, the save runs on the event loop
instead (a sync resolver, no thread hop; CITYNET_FLOOR_POOL connections): faster for writes alone, but
every request and live stream of the process waits while a save is under way, which citynet does not do.

    uv run uvicorn bench.floor_app:app --port 8911
"""

from __future__ import annotations

import os

import anyio.to_thread
import strawberry
from litestar import Litestar
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.litestar import make_graphql_controller

from bare import BenchCity, bare_application


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
        name = await anyio.to_thread.run_sync(save if SAVE else lambda _: input.name, input)
        return RegisterCityPayload(name=name)


@strawberry.type
class BlockingMutation:
    @strawberry.mutation
    def register_city(self, input: RegisterCityInput) -> RegisterCityPayload:
        # A sync resolver: strawberry calls it on the event loop, which waits for each save.
        return RegisterCityPayload(name=save(input))


SAVE = bare_application(os.environ["CITYNET_FLOOR_SAVE_URL"], os.environ.get("CITYNET_FLOOR_POOL", "8")) \
    if os.environ.get("CITYNET_FLOOR_SAVE_URL") else None
ON_LOOP = os.environ.get("CITYNET_FLOOR_ON_LOOP") == "1" and SAVE is not None


def save(input: RegisterCityInput) -> str:
    SAVE.save(BenchCity(input.name, input.country_code, input.time_zone))  # type: ignore[union-attr]
    return input.name


schema = strawberry.Schema(Query, BlockingMutation if ON_LOOP else Mutation, extensions=[ParserCache, ValidationCache])
app = Litestar(route_handlers=[make_graphql_controller(schema, path="/graphql")])
