"""The WebSocket side of live updates: graphql-transport-ws only, with limits.

strawberry's handler does the protocol; this adds what a public server needs (decision 014):
- a message larger than the body limit is refused (close 1009) before it is parsed;
- at most N live connections per identity, WebSocket and Server-Sent Events together, in this process
  or, with CITYNET_REDIS_URL, across every process on that Redis (close 4429 instead of connection_ack);
- the subscription ends when the token expires (close 4403, the protocol's "Forbidden");
- a connection with no operation running and no message for the idle timeout is closed (1000);
- clients' pings are answered with pongs (strawberry); the server pings every CITYNET_WS_PING_SECONDS
  and closes a connection that sends nothing back within CITYNET_WS_PONG_TIMEOUT_SECONDS (4499, the
  code graphql-ws clients use for the same verdict), so half-open connections do not pile up.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from litestar.exceptions import WebSocketDisconnect
from litestar.security.jwt import Token
from strawberry.http.exceptions import NonJsonMessageReceived, NonTextMessageReceived
from strawberry.litestar.controller import LitestarWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from citynet.infra.auth import TokenConfig
from citynet.infra.live_slots import Slot, slots_for
from citynet.services.attribution import ANONYMOUS

MESSAGE_TOO_BIG = 1009  # RFC 6455
TOO_MANY_CONNECTIONS = 4429  # graphql-ws's "too many requests" family
FORBIDDEN = 4403  # graphql-transport-ws: the token is no longer valid
IDLE = 1000  # a normal close: nothing was running
NO_PONG = 4499  # the peer did not answer a ping in time (graphql-ws: "Terminated")


@dataclass(frozen=True)
class LivePolicy:
    max_message_bytes: int
    max_connections_per_identity: int
    idle_seconds: float
    tokens: TokenConfig
    ping_seconds: float = 30.0
    pong_timeout_seconds: float = 20.0
    redis_url: str = ""


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
    """Whom live connections are counted against: the token's subject, else the client address."""
    if actor is None or actor is ANONYMOUS or actor.id == ANONYMOUS.id:
        return f"ip:{client.host if client else 'unknown'}"
    return f"sub:{actor.id}"


class LiveTransportWSHandler(BaseGraphQLTransportWSHandler):  # type: ignore[type-arg]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.identity: str | None = None
        self.slot: Slot | None = None
        self.timers: list[asyncio.Task[None]] = []
        self.last_message = asyncio.get_running_loop().time()
        self.pong = asyncio.Event()

    @property
    def policy(self) -> LivePolicy:
        return self.view.live  # type: ignore[attr-defined,no-any-return]

    async def handle(self) -> None:
        self.timers.append(asyncio.create_task(self._close_when_idle()))
        try:
            await super().handle()
        finally:
            for timer in self.timers:
                timer.cancel()
            if self.slot is not None:
                await self.slot.release()

    async def handle_message(self, message: Any) -> None:
        if not (isinstance(message, dict) and message.get("type") == "pong"):
            self.last_message = asyncio.get_running_loop().time()  # answering our pings is not activity
        self.pong.set()  # anything the peer sends shows it is there; a pong is the usual answer
        await super().handle_message(message)

    async def send_message(self, message: Any) -> None:
        # The identity is known only once on_ws_connect has checked the token, just before the ack:
        # count the connection here, and refuse it instead of acknowledging it past the limit.
        if isinstance(message, dict) and message.get("type") == "connection_ack" and self.identity is None:
            identity = identity_of(getattr(self.context, "actor", ANONYMOUS),
                                   getattr(getattr(self.context, "websocket", None), "client", None))
            self.slot = await slots_for(self.policy.redis_url).acquire(identity,
                                                                       self.policy.max_connections_per_identity)
            if self.slot is None:
                await self.websocket.close(code=TOO_MANY_CONNECTIONS, reason="Too many connections for this identity")
                return
            self.identity = identity
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
