"""The Litestar application factory: GraphQL, health and readiness, lifespan."""

from __future__ import annotations

import json
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

import anyio.to_thread
from litestar import Litestar, Request, Response, get
from litestar.background_tasks import BackgroundTasks
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.datastructures import State
from litestar.exceptions import HTTPException, TooManyRequestsException
from litestar.exceptions.responses import create_exception_response
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import Scope
from graphql import GraphQLError, OperationDefinitionNode, parse
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.memory import MemoryStore
from cross_web import HTTPException as StrawberryHTTPException
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.litestar import make_graphql_controller
from strawberry.litestar.controller import _context_getter_http as _strawberry_http_context
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

from citynet.domain.language import accept_language
from citynet.graphql.context import Context, make_context
from citynet.graphql.schema import build_schema
from citynet.infra.auth import AuthError, actor_from_header
from citynet.infra.calendar_feeds import calendar_router
from citynet.infra.graphql_http import JSON, SUPPORTED, content_type, error_body, is_request_error, negotiate, status_for
from citynet.infra.live_http import LiveHTTPStream, LiveStream, sse_transport
from citynet.infra.live_slots import slots_for
from citynet.infra.live_ws import LimitedWebSocketAdapter, LivePolicy, LiveTransportWSHandler, identity_of, token_expiry
from citynet.infra.operation_budget import OperationBudget, sharing_lock
from citynet.infra.rate_limit_store import shared_rate_limit_store
from citynet.infra.request_id import request_id_middleware
from citynet.infra.response_cache import REQUEST_READS, Actors, operation_kind, response_cache_middleware
from citynet.infra.settings import Settings
from citynet.services.attribution import ANONYMOUS, set_actor
from citynet.services import live
from citynet.services.demo import load_demo
from citynet.services.clock import Clock
from citynet.services.rebuild import clean_leftovers_if_idle
from citynet.services.runtime import Citynet

log = logging.getLogger(__name__)

MIN_POSITION_HEADER = "x-citynet-min-position"
NO_QUERY = "No GraphQL query found in the request"  # strawberry's words for the ordinary POST
SUBSCRIPTION_NOT_STREAMED = ("subscriptions are served over WebSocket (graphql-transport-ws) or Server-Sent Events "
                             "(Accept: text/event-stream), not as a single response")
EXPOSED_HEADERS = ("Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy")
# The media type negotiated for the request being answered (the controller instance is shared).
_MEDIA: ContextVar[str] = ContextVar("graphql_media_type", default=JSON)
# The Server-Sent Events subscription being answered, if any.
_LIVE: ContextVar[LiveHTTPStream | None] = ContextVar("live_http_stream", default=None)


def _header(scope: Scope, name: str) -> str | None:
    wanted = name.encode()
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == wanted), None)


def _min_position(scope: Scope) -> int | None:
    values = [v for k, v in scope.get("headers", []) if k.decode("latin-1").lower() == MIN_POSITION_HEADER]
    if not values:
        return None
    raw = values[0].decode("latin-1").strip()
    # ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses.
    if len(values) > 1 or not raw or not raw.isascii() or not raw.isdigit() or len(raw.lstrip("0")) > 18:
        raise HTTPException(status_code=400, detail=f"{MIN_POSITION_HEADER} must be one non-negative integer")
    return int(raw)


async def wait_for_header_position(citynet: Citynet, wanted: int, timeout: float) -> None:
    """Read-your-writes across servers: wait, holding no thread, until the read models include ``wanted``.

    A position beyond the log's head cannot be waited for: refused at once."""
    projections = citynet.projections
    if projections.known_position >= wanted:
        return
    if wanted > projections.board.head and wanted > await anyio.to_thread.run_sync(projections.head):
        raise HTTPException(status_code=400, detail=f"{MIN_POSITION_HEADER} {wanted} is beyond the last stored event")
    if not await citynet.wait_for_position(wanted, timeout):
        raise HTTPException(status_code=503, detail=f"read models have not reached position {wanted} within {timeout}s")


def _graphql_controller(settings: Settings, budget: OperationBudget | None = None) -> type:
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_query_cost,
        introspection=settings.introspection,
        field_suggestions=not settings.is_production,
    )

    tokens = settings.token_config
    verified = Actors(tokens)  # tokens verified once, until they expire (as the response cache does)

    async def context_getter(state: State, scope: Scope) -> Context:
        citynet: Citynet = state.citynet
        if scope["type"] == "http":
            header = _header(scope, "authorization")
            actor = verified(header) or actor_from_header(header, tokens)  # the latter raises for a bad token
        else:
            actor = ANONYMOUS
        set_actor(actor)
        wanted = _min_position(scope)
        if wanted is not None:
            await wait_for_header_position(citynet, wanted, settings.read_wait_seconds)
        context = make_context(citynet, actor, tuple(accept_language(_header(scope, "accept-language"))))
        scope.setdefault("state", {})[REQUEST_READS] = context.reads  # the response cache asks what it showed
        return context

    base = make_graphql_controller(
        schema,
        path="/graphql",
        context_getter=context_getter,
        graphql_ide="graphiql" if settings.graphiql else None,
        allowed_origins=settings.allowed_origins,
        # Only the protocols we serve fully (decision 014): graphql-transport-ws on WebSocket (legacy
        # `graphql-ws` clients get close 4406) and graphql-sse (Server-Sent Events, distinct connections).
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_SSE_PROTOCOL),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_seconds),
    )
    live.configure(queue_size=settings.live_queue_size, max_replay=settings.live_max_replay)

    class GraphQLController(base):  # type: ignore[valid-type,misc]
        """Media types and status codes as GraphQL over HTTP says (infra/graphql_http.py). Over WebSocket the token
        comes in the connection_init payload (``{"authorization": "Bearer ..."}``)."""

        # strawberry builds each request's sub-response in a worker thread (sync_to_thread=True): a thread
        # hop per request for an empty Response; built on the event loop instead. And its dependencies
        # are chained (_fresh_response): Litestar resolves independent ones in a task group of their own,
        # which cost a twentieth of a request.
        dependencies = {**base.dependencies, "response": Provide(_fresh_response), "root_value": Provide(_no_root),
                        "context": Provide(_http_context)}
        graphql_transport_ws_handler_class = LiveTransportWSHandler
        websocket_adapter_class = LimitedWebSocketAdapter
        stream_transport_classes_by_protocol = {GRAPHQL_SSE_PROTOCOL: sse_transport(settings.sse_keepalive_seconds)}
        live = LivePolicy(settings.max_body_bytes, settings.max_connections_per_identity,
                          settings.ws_idle_seconds, tokens, settings.ws_ping_seconds,
                          settings.ws_pong_timeout_seconds, settings.redis_url, budget)

        async def on_ws_connect(self, context: Context) -> Any:
            params = context.connection_params if isinstance(context.connection_params, dict) else {}
            header = params.get("authorization") or params.get("Authorization")
            try:
                context.actor = actor_from_header(header, tokens)
            except AuthError as e:
                raise ConnectionRejectionError({"reason": str(e.detail)}) from None
            return UNSET

        async def execute_request(self, request: Request[Any, Any, Any], context: Any, root_value: Any) -> Response:
            if self._get_stream_transport_from_headers(request.headers) is not None:
                return await self._subscribe_over_http(request, context, root_value)
            media = negotiate(request.headers.get("accept"))
            if media is None:
                if request.method == "GET" and "query" not in request.query_params:
                    return await super().execute_request(request, context, root_value)  # GraphiQL for browsers
                return Response(error_body(f"Accept allows none of {', '.join(SUPPORTED)}"), status_code=406,
                                media_type=content_type(JSON))
            token = _MEDIA.set(media)
            try:
                return await self.run(request, context=context, root_value=root_value)
            except StrawberryHTTPException as e:
                headers = {"Allow": "POST"} if e.status_code == 405 else None
                return Response(error_body(e.reason), status_code=e.status_code, media_type=content_type(media),
                                headers=headers)
            finally:
                _MEDIA.reset(token)

        async def _subscribe_over_http(self, request: Request[Any, Any, Any], context: Context,
                                       root_value: Any) -> Response:
            """A subscription over Server-Sent Events (infra/live_http.py): one live connection slot of
            the caller's, ended by the token's expiry."""
            data = await _request_data(request)
            if isinstance(data, dict) and not _has_query(data):  # as on the ordinary POST, not a stream's error
                return Response(error_body(NO_QUERY), status_code=400, media_type=content_type(JSON))
            unclear = _no_single_operation(data)
            if unclear is not None:  # found by a review: two operations and no operationName was a stream's 500
                return Response(error_body(unclear), status_code=400, media_type=content_type(JSON))
            kind = _operation_kind(data)
            if kind not in (None, "subscription"):
                return Response(error_body(f"a {kind} is not streamed: send it as an ordinary request "
                                           "(Accept: application/json); text/event-stream carries subscriptions"),
                                status_code=400, media_type=content_type(JSON))
            slot = await slots_for(settings.redis_url).acquire(identity_of(context.actor, request.client),
                                                               settings.max_connections_per_identity)
            if slot is None:
                return Response(error_body("Too many live connections for this identity"), status_code=429,
                                media_type=content_type(JSON), headers={"Retry-After": "5"})
            live_stream = LiveHTTPStream(slot, token_expiry({"authorization": request.headers.get("authorization")}, tokens))
            context.live_stream = live_stream
            if budget is not None:  # the request itself was counted by the rate limiter; resolvers may take more
                context.live_budget = budget.bound(identity_of(context.actor, request.client))
            token = _LIVE.set(live_stream)
            try:
                response = await self.run(request, context=context, root_value=root_value)
            except StrawberryHTTPException as e:  # a body that is not JSON, a batch: before any stream
                response = Response(error_body(e.reason), status_code=e.status_code, media_type=content_type(JSON))
            except BaseException:
                await live_stream.release()
                raise
            finally:
                _LIVE.reset(token)
            if not isinstance(response, LiveStream):
                await live_stream.release()
            return response

        async def create_streaming_response(self, request: Any, stream: Any, sub_response: Response,
                                            headers: Any) -> Response:
            live_stream = _LIVE.get()
            if live_stream is None:
                return await super().create_streaming_response(request, stream, sub_response, headers)
            return LiveStream(live_stream, stream, sub_response.status_code or HTTP_200_OK, headers)

        async def execute_single(self, request: Any, request_adapter: Any, sub_response: Any, context: Any,
                                 root_value: Any, request_data: Any) -> Any:
            """strawberry's, but a subscription is not run as a one-off request (strawberry allows it on
            GET and POST, where it ended in an internal error): a 400 that names the live transports."""
            allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
            if not self.allow_queries_via_get and request_adapter.method == "GET":
                allowed -= {OperationType.QUERY}
            try:
                return await self.schema.execute(
                    request_data.query, root_value=root_value, variable_values=request_data.variables,
                    context_value=context, operation_name=request_data.operation_name,
                    allowed_operation_types=allowed, operation_extensions=request_data.extensions)
            except CannotGetOperationTypeError as e:
                raise StrawberryHTTPException(400, e.as_http_error_reason()) from e
            except InvalidOperationTypeError as e:
                if e.operation_type is OperationType.SUBSCRIPTION:
                    raise StrawberryHTTPException(400, SUBSCRIPTION_NOT_STREAMED) from e
                reason = e.as_http_error_reason(request_adapter.method)
                raise StrawberryHTTPException(405, f"{reason}: send them with POST") from e
            except MissingQueryError as e:
                raise StrawberryHTTPException(400, NO_QUERY) from e

        async def process_result(self, request: Any, result: Any) -> Any:
            response = await super().process_result(request, result)
            if is_request_error(response):
                response.pop("data", None)
            return response

        def create_response(self, response_data: Any, sub_response: Response) -> Response:
            response = super().create_response(response_data, sub_response)
            media = _MEDIA.get()
            response.media_type = content_type(media)
            if not sub_response.status_code or sub_response.status_code == HTTP_200_OK:
                response.status_code = status_for(response_data, media)
            return response

    return GraphQLController


async def _request_data(request: Request[Any, Any, Any]) -> Any:
    """The GraphQL parameters of a request (GET: its query string, POST: its JSON body); None if unreadable
    (strawberry then answers why)."""
    if request.method == "GET":
        return dict(request.query_params)
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


def _has_query(data: dict[str, Any]) -> bool:
    query = data.get("query")
    return isinstance(query, str) and bool(query.strip())


def _no_single_operation(data: Any) -> str | None:
    """Why a stream request's document does not name exactly one operation (it does not parse, has
    several and no operationName, or has none of that name); None when it does."""
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return None  # strawberry answers malformed requests
    try:
        ops = [d for d in parse(data["query"]).definitions if isinstance(d, OperationDefinitionNode)]
    except GraphQLError as error:
        return f"Syntax Error: {error.message}"
    name = data.get("operationName")
    if isinstance(name, str) and name:
        if not any(o.name and o.name.value == name for o in ops):
            return f"Unknown operation named '{name}'"
        return None
    if len(ops) != 1:
        return "Must provide operation name if query contains multiple operations" if ops else "No operation"
    return None


def _operation_kind(data: Any) -> str | None:
    """query, mutation or subscription, from the request's document; None if unknown (execution says why)."""
    if not isinstance(data, dict) or not isinstance(data.get("query"), str):
        return None
    name = data.get("operationName")
    return operation_kind(data["query"], name if isinstance(name, str) else None)


def _too_many_requests(request: Request[Any, Any, Any], exc: TooManyRequestsException) -> Response[Any]:
    """The rate limiter's 429 with ``Retry-After`` (the header clients know; the limiter sends only
    ``RateLimit-*``): the seconds until its window has room again, as ``RateLimit-Reset`` says."""
    reset = (exc.headers or {}).get("RateLimit-Reset")
    if reset is not None:
        exc.headers = {**(exc.headers or {}), "Retry-After": reset}
    return create_exception_response(request, exc)


async def _fresh_response(custom_context: Any) -> Response:
    """The sub-response strawberry fills (headers, status). It takes the custom context only to come after
    it: request dependencies resolved one after another, each alone in its batch, need no task group."""
    return Response({}, background=BackgroundTasks([]))


async def _no_root(response: Response) -> None:
    return None  # no root value; after the response, as above


async def _http_context(custom_context: Any, response: Response, request: Request[Any, Any, Any],
                        root_value: Any) -> Any:
    return await _strawberry_http_context(custom_context, response, request)  # after the root value, as above


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@get("/ready")
async def ready(state: State) -> Response[dict[str, Any]]:
    """The database answers and every projection is current; per projection: position, lag, stall."""
    citynet: Citynet = state.citynet

    def check() -> dict[str, Any]:
        if not citynet.database_reachable():
            return {"status": "unavailable", "database": "unreachable"}
        projections = [
            {"name": s.name, "state": s.state, "position": s.position, "head": s.head, "lag": s.lag,
             **({"stalledAt": s.stalled_at, "error": s.error} if s.stalled_at is not None else {})}
            for s in citynet.projections.status()
        ]
        states = {p["state"] for p in projections}
        status = "stalled" if "stalled" in states else "catching_up" if "catching_up" in states else "ready"
        head = max((p["head"] for p in projections), default=0)
        return {"status": status, "database": "ok", "head": head, "projections": projections}

    body = await anyio.to_thread.run_sync(check)
    code = HTTP_200_OK if body["status"] == "ready" else HTTP_503_SERVICE_UNAVAILABLE
    return Response(body, status_code=code)


def create_app(settings: Settings | None = None, demo: bool = False, citynet: Citynet | None = None,
               clock: Clock | None = None, server_process: bool = False) -> Litestar:
    """Build the app. With ``citynet`` given (tests), the caller owns its lifecycle; ``clock`` (tests)
    replaces the system clock of the services the app builds. ``server_process``: the app is all this
    process serves (``citynet serve``), so its start-up objects are moved out of the collector's way."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = citynet is None
        services = citynet or await anyio.to_thread.run_sync(Citynet, settings.effective_database_url, clock)
        if services.reads.row_cache is not None:
            services.reads.row_cache.size = settings.row_cache_size
        services.bus.read_wait = settings.read_wait_seconds  # a mutation's read-your-writes wait
        if demo:
            added = await anyio.to_thread.run_sync(load_demo, services)
            log.info("demo data: %s events added", added)
        if settings.run_projections:
            await anyio.to_thread.run_sync(clean_leftovers_if_idle, services)
        services.projections.poll_seconds = settings.projection_poll_seconds
        await anyio.to_thread.run_sync(services.projections.start, settings.run_projections)
        app.state.citynet = services
        if server_process:
            _freeze_startup_objects()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(services.projections.stop)
            if owned:
                await services.aclose()

    # A page on another origin reads only the response headers it is allowed to: when to retry after a 429
    # (rate limit, or too many live connections) and the rate limit's budget.
    cors = CORSConfig(allow_origins=list(settings.allowed_origins), expose_headers=list(EXPOSED_HEADERS)) \
        if settings.allowed_origins else None
    tokens = settings.token_config

    def identity(request: Request[Any, Any, Any]) -> str:
        """Rate limits count per verified identity, else per client address."""
        try:
            actor = actor_from_header(request.headers.get("authorization"), tokens)
        except AuthError:
            actor = ANONYMOUS
        return identity_of(actor, request.client)

    # With Redis, shared by every process on it: N workers or servers count one budget per identity
    # (each its own while Redis does not answer: infra/rate_limit_store.py). Live updates spend the same
    # budget (infra/operation_budget.py).
    stores: dict[str, Any] = {
        "rate_limit": shared_rate_limit_store(settings.redis_url) if settings.redis_url else MemoryStore()}
    budget = OperationBudget(stores["rate_limit"], settings.rate_limit_per_minute) \
        if settings.rate_limit_per_minute else None
    rate_limit = RateLimitConfig(rate_limit=("minute", settings.rate_limit_per_minute),
                                 identifier_for_request=identity, exclude=["/health", "/ready"],
                                 **({"middleware_class": sharing_lock(budget)} if budget is not None else {}))
    return Litestar(
        route_handlers=[_graphql_controller(settings, budget), health, ready, calendar_router(tokens)],
        lifespan=[lifespan],
        cors_config=cors,
        # 0: no rate limit here (a gateway in front limits; benchmarks). Litestar's limiter keeps every
        # request time of the window per identity, so its cost grows with the limit.
        middleware=[request_id_middleware, *([rate_limit.middleware] if settings.rate_limit_per_minute else []),
                    response_cache_middleware(settings.response_cache_size, tokens)],
        request_max_body_size=settings.max_body_bytes,
        stores=stores,
        exception_handlers={TooManyRequestsException: _too_many_requests},
        openapi_config=None,
        debug=False,
    )


def _freeze_startup_objects() -> None:
    """Move everything alive after start-up (modules, the schema, SQLAlchemy's and strawberry's
    structures: ~140,000 objects) to the collector's permanent generation.

    Every full collection walked all of them: ~150 ms each on the development machine, several per
    thousand requests, about 1 ms of CPU per request on a read of 160 fields. Frozen objects are
    still freed by reference counting; only cycles among them would stay, and they live as long
    as the process anyway. (gc.freeze, as the Python docs recommend for pre-fork servers.)"""
    gc.collect()
    gc.freeze()


def app_from_env() -> Litestar:
    """The app of one worker process (``citynet serve --workers N``): settings from the environment."""
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return create_app(settings, server_process=True)
