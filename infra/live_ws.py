"""The WebSocket side of live updates: graphql-transport-ws only, with limits.

strawberry's handler does the protocol; this adds what a public server needs (decision 014):
- a message larger than the body limit is refused (close 1009) before it is parsed;
- at most N live connections per identity, WebSocket and Server-Sent Events together, in this process
  or, with CITYNET_REDIS_URL, across every process on that Redis (close 1013 instead of connection_ack);
- the subscription ends when the token expires (close 4403, the protocol's "Forbidden");
- a connection with no operation running and no message for the idle timeout is closed (1000);
- a socket that has not sent connection_init within CITYNET_WS_INIT_SECONDS is closed (4408, strawberry), and
  one client address holds at most 4 x CITYNET_MAX_CONNECTIONS_PER_IDENTITY such sockets at once in this
  process (1013): un-initialised sockets do not pile up;
- a connection sends at most 100 messages (pings included) per 10 s, else it is closed (1008);
- the rate limit's budget (infra/operation_budget.py, one with HTTP): connection_init takes a unit (1013
  past it) and so does every subscribe message, whatever its operation (the protocol's ``error`` for that
  id past it, the connection stays open);
- clients' pings are answered with pongs (strawberry); the server pings every CITYNET_WS_PING_SECONDS
  and closes a connection that sends nothing back within CITYNET_WS_PONG_TIMEOUT_SECONDS (4499, the
  code graphql-ws clients use for the same verdict), so half-open connections do not pile up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from litestar.exceptions import WebSocketDisconnect
from litestar.security.jwt import Token
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.litestar.controller import LitestarWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from citynet.infra.auth import TokenConfig
from citynet.infra.live_slots import LocalSlots, Slot, slots_for
from citynet.infra.operation_budget import OperationBudget
from citynet.services.attribution import ANONYMOUS

MESSAGE_TOO_BIG = 1009  # RFC 6455
# Refusals a client should retry later: 1013 "Try Again Later" (RFC 6455), which graphql-ws clients retry
# with their back-off; 4429 is in their list of codes never retried (a review: a frontend refused once
# stayed dead until the page was reloaded). 4429 stays strawberry's, for a second connection_init.
TRY_AGAIN_LATER = 1013
TOO_MANY_MESSAGES = 1008  # RFC 6455 "Policy Violation": a flood is not retried
MESSAGE_WINDOW_SECONDS = 10.0
FORBIDDEN = 4403  # graphql-transport-ws: the token is no longer valid
IDLE = 1000  # a normal close: nothing was running
NO_PONG = 4499  # the peer did not answer a ping in time (graphql-ws: "Terminated")
RATE_LIMITED = "RATE_LIMITED"
PENDING_PER_CONNECTION = 4


@dataclass(frozen=True)
class LivePolicy:
    max_message_bytes: int
    max_connections_per_identity: int
    idle_seconds: float
    tokens: TokenConfig
    ping_seconds: float = 30.0
    pong_timeout_seconds: float = 20.0
    redis_url: str = ""
    budget: OperationBudget | None = None  # None: no rate limit
    # Sockets not yet initialised, per client address, in this process (at most PENDING_PER_CONNECTION times
    # max_connections_per_identity: an office behind one NAT opens several at once).
    pending: LocalSlots = field(default_factory=LocalSlots)
    # Messages a connection may send per MESSAGE_WINDOW_SECONDS (pings, subscribes, anything): a review
    # pegged the server with a flood of pings, which cost no budget (6 windows: 600 a minute).
    max_messages_per_window: int = 100


def token_expiry(params: Any, tokens: TokenConfig) -> datetime | None:
    """When the (already verified) token of a connection_init payload expires; None without one."""
    if not isinstance(params, dict):
        return None
    header = params.get("authorization") or params.get("Authorization")
    if not isinstance(header, str) or " " not in header:
        return None
    token = Token.decode(header.partition(" ")[2].strip(), tokens.verifying_key, tokens.algorithm,
                         audience=tokens.audience, issuer=tokens.issuer)
    return token.exp


class LimitedWebSocketAdapter(LitestarWebSocketAdapter):
    async def iter_json(self, *, ignore_parsing_errors: bool = False) -> Any:
        limit = self.view.live.max_message_bytes  # type: ignore[attr-defined]
        try:
            while self.ws.connection_state != "disconnect":
                text = await self.ws.receive_text()
                if text == "":
                    raise NonTextMessageReceived
                if len(text) > limit:  # characters >= bytes / 4: cheap first, exact second
                    if len(text.encode()) > limit:
                        await self.ws.close(code=MESSAGE_TOO_BIG, reason=f"message larger than {limit} bytes")
                        return
                try:
                    yield self.view.decode_json(text)
                except ValueError as e:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from e
        except WebSocketDisconnect:
            pass


def identity_of(actor: Any, client: Any) -> str:
    """Whom live connections and rate limits are counted against: the token's subject, else the client
    address (as Litestar's ``get_remote_address``, so that HTTP and live updates share one budget)."""
    if actor is None or actor is ANONYMOUS or actor.id == ANONYMOUS.id:
        return f"ip:{client.host if client else '127.0.0.1'}"
    return f"sub:{actor.id}"


def rate_limited(retry_after: int) -> dict[str, Any]:
    """The GraphQL error of an operation refused by the rate limit."""
    return {"message": f"Too many requests: retry after {retry_after} s",
            "extensions": {"code": RATE_LIMITED, "retryAfter": retry_after}}


class LiveTransportWSHandler(BaseGraphQLTransportWSHandler):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.identity: str | None = None
        self.slot: Slot | None = None
        self.pending: Slot | None = None  # this socket's place among its address's un-initialised ones
        self.timers: list[asyncio.Task[None]] = []
        self.last_message = self.window_start = asyncio.get_running_loop().time()
        self.window_messages = 0
        self.pong = asyncio.Event()

    @property
    def policy(self) -> LivePolicy:
        return self.view.live  # type: ignore[attr-defined,no-any-return]

    @property
    def client(self) -> Any:
        return getattr(getattr(self.context, "websocket", None), "client", None)

    async def handle(self) -> None:
        # Until connection_init the socket is counted against its address (the token comes with
        # connection_init), apart from its live connections: anonymous neighbours behind one NAT must
        # not keep its signed-in users from connecting. Released at the ack or the close.
        pending = await self.policy.pending.acquire(identity_of(ANONYMOUS, self.client),
                                                    PENDING_PER_CONNECTION * self.policy.max_connections_per_identity)
        if pending is None:
            await self.websocket.close(code=TRY_AGAIN_LATER, reason="Too many connections for this identity")
            return
        self.pending = pending
        self.timers.append(asyncio.create_task(self._close_when_idle()))
        try:
            await super().handle()
        finally:
            for timer in self.timers:
                timer.cancel()
            await pending.release()
            if self.slot is not None:
                await self.slot.release()

    async def handle_subscribe(self, message: Any) -> None:
        """One unit of the budget per operation strawberry would start (not for those it refuses itself:
        before the ack, a duplicate id, past the per-connection limit)."""
        budget = self.policy.budget
        if (budget is not None and self.identity is not None and self.connection_acknowledged
                and message["id"] not in self.operations
                and (self.max_subscriptions_per_connection is None
                     or len(self.operations) < self.max_subscriptions_per_connection)):
            retry_after = await budget.take(self.identity)
            if retry_after is not None:
                await self.send_message({"id": message["id"], "type": "error",
                                         "payload": [rate_limited(retry_after)]})
                return
        await super().handle_subscribe(message)

    async def handle_message(self, message: Any) -> None:
        now = asyncio.get_running_loop().time()
        if now - self.window_start >= MESSAGE_WINDOW_SECONDS:
            self.window_start, self.window_messages = now, 0
        self.window_messages += 1
        if self.window_messages > self.policy.max_messages_per_window:
            await self.websocket.close(code=TOO_MANY_MESSAGES, reason="Policy Violation: too many messages")
            return
        if not (isinstance(message, dict) and message.get("type") in ("ping", "pong")):
            self.last_message = now  # keep-alives are not activity: a socket that only pings idles out
        self.pong.set()  # anything the peer sends shows it is there; a pong is the usual answer
        await super().handle_message(message)

    async def send_message(self, message: Any) -> None:
        # The identity is known only once on_ws_connect has checked the token, just before the ack:
        # count the connection here, and refuse it instead of acknowledging it past the limit.
        if isinstance(message, dict) and message.get("type") == "connection_ack" and self.identity is None:
            identity = identity_of(getattr(self.context, "actor", ANONYMOUS), self.client)
            if self.pending is not None:
                await self.pending.release()
            budget = self.policy.budget
            retry_after = None if budget is None else await budget.take(identity)
            if retry_after is not None:
                await self.websocket.close(code=TRY_AGAIN_LATER,
                                           reason=f"Too many requests: retry after {retry_after} s")
                return
            self.slot = await slots_for(self.policy.redis_url).acquire(identity,
                                                                       self.policy.max_connections_per_identity)
            if self.slot is None:
                await self.websocket.close(code=TRY_AGAIN_LATER, reason="Too many connections for this identity")
                return
            self.identity = identity
            if budget is not None and hasattr(self.context, "live_budget"):
                self.context.live_budget = budget.bound(identity)
            expiry = token_expiry(getattr(self.context, "connection_params", None), self.policy.tokens)
            if expiry is not None:
                self.timers.append(asyncio.create_task(self._close_at(expiry)))
            self.timers.append(asyncio.create_task(self._ping()))
        await super().send_message(message)

    async def _ping(self) -> None:
        """graphql-transport-ws pings from the server; no answer within the pong timeout closes (4499)."""
        while True:
            await asyncio.sleep(self.policy.ping_seconds)
            self.pong.clear()
            await super().send_message({"type": "ping"})
            try:
                await asyncio.wait_for(self.pong.wait(), self.policy.pong_timeout_seconds)
            except asyncio.TimeoutError:
                await self.websocket.close(code=NO_PONG, reason="Terminated: no pong")
                return

    async def _close_at(self, expiry: datetime) -> None:
        delay = (expiry - datetime.now(timezone.utc)).total_seconds()
        await asyncio.sleep(max(delay, 0.0))
        await self.websocket.close(code=FORBIDDEN, reason="Forbidden: token expired")

    async def _close_when_idle(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            remaining = self.last_message + self.policy.idle_seconds - loop.time()
            if remaining > 0:
                await asyncio.sleep(remaining)
            elif self.operations:  # a running subscription is not idle
                await asyncio.sleep(self.policy.idle_seconds)
            else:
                await self.websocket.close(code=IDLE, reason="Idle timeout")
                return
