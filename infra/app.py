"""The Litestar application factory: GraphQL, health and readiness, lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from litestar import Litestar, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import Scope
from strawberry.litestar import make_graphql_controller

from citynet.graphql.context import Context, make_context
from citynet.graphql.schema import build_schema
from citynet.infra.calendar_feeds import calendar_router
from citynet.infra.request_id import request_id_middleware
from citynet.infra.settings import Settings
from citynet.services.demo import load_demo
from citynet.services.projector import ProjectorThread
from citynet.services.runtime import Citynet

log = logging.getLogger(__name__)

MIN_POSITION_HEADER = "x-citynet-min-position"


def _min_position(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.decode("latin-1").lower() == MIN_POSITION_HEADER:
            raw = value.decode("latin-1").strip()
            if not raw.isdigit():
                raise HTTPException(status_code=400, detail=f"{MIN_POSITION_HEADER} must be a non-negative integer")
            return int(raw)
    return None


def _graphql_controller(settings: Settings) -> type:
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        introspection=settings.introspection,
    )

    async def context_getter(state: State, scope: Scope) -> Context:
        citynet: Citynet = state.citynet
        wanted = _min_position(scope)
        if wanted is not None and citynet.projector.known_position < wanted:
            reached = await anyio.to_thread.run_sync(
                citynet.projector.wait_for, wanted, settings.read_wait_seconds
            )
            if not reached:
                raise HTTPException(
                    status_code=503,
                    detail=f"read models have not reached position {wanted} within {settings.read_wait_seconds}s",
                )
        return make_context(citynet)

    base = make_graphql_controller(
        schema,
        path="/graphql",
        context_getter=context_getter,
        graphql_ide="graphiql" if settings.graphiql else None,
        allowed_origins=settings.allowed_origins,
    )

    class GraphQLController(base):  # type: ignore[valid-type,misc]
        """GraphQL over HTTP status codes: a request that could not be parsed or
        validated (no data at all) is a 400; a masked internal error is a 500;
        typed domain errors travel in a 200 response."""

        def create_response(self, response_data: Any, sub_response: Response) -> Response:
            response = super().create_response(response_data, sub_response)
            if isinstance(response_data, dict) and response_data.get("errors") and response_data.get("data") is None:
                codes = {(e.get("extensions") or {}).get("code") for e in response_data["errors"]}
                response.status_code = 500 if "INTERNAL_SERVER_ERROR" in codes else 400
            return response

    return GraphQLController


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@get("/ready")
async def ready(state: State) -> Response[dict[str, Any]]:
    """The database answers and the read models have caught up with the log."""
    citynet: Citynet = state.citynet

    def check() -> dict[str, Any]:
        if not citynet.database_reachable():
            return {"status": "unavailable", "database": "unreachable"}
        head = citynet.projector.head()
        position = citynet.projector.position()
        status = "ready" if position >= head else "catching_up"
        return {"status": status, "database": "ok", "position": position, "head": head}

    body = await anyio.to_thread.run_sync(check)
    code = HTTP_200_OK if body["status"] == "ready" else HTTP_503_SERVICE_UNAVAILABLE
    return Response(body, status_code=code)


def create_app(settings: Settings | None = None, demo: bool = False, citynet: Citynet | None = None) -> Litestar:
    """Build the app. With ``citynet`` given (tests), the caller owns its lifecycle."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = citynet is None
        services = citynet or await anyio.to_thread.run_sync(Citynet, settings.effective_database_url)
        if demo:
            added = await anyio.to_thread.run_sync(load_demo, services)
            log.info("demo data: %s events added", added)
        await anyio.to_thread.run_sync(services.projector.catch_up)
        poller = ProjectorThread(services.projector, settings.projection_poll_seconds)
        poller.start()
        app.state.citynet = services
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(poller.stop)
            if owned:
                await services.aclose()

    cors = CORSConfig(allow_origins=list(settings.allowed_origins)) if settings.allowed_origins else None
    return Litestar(
        route_handlers=[_graphql_controller(settings), health, ready, calendar_router],
        lifespan=[lifespan],
        cors_config=cors,
        middleware=[request_id_middleware],
        openapi_config=None,
        debug=False,
    )
