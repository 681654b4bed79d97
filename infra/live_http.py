"""Live updates over plain HTTP: Server-Sent Events in the graphql-sse protocol's "distinct connections
mode" (one subscription per HTTP request; https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md).

A browser subscribes without WebSocket: ``POST /graphql`` (or ``GET`` with ``query``/``variables``
parameters, for ``EventSource``) with ``Accept: text/event-stream``. The answer is a
``text/event-stream`` of ``event: next`` (``data:`` one GraphQL result) and a final ``event: complete``;
comment lines (``: ping``) keep an idle stream open through proxies. The stream opens with the comment
``: connected``, so a client (or a proxy that holds the headers until body bytes come) knows at once that
the subscription is up, even when nothing happens for a long while.

strawberry runs the protocol (strawberry/http/streaming.py ``SSETransport``); this adds what the
WebSocket transport has (decision 014):
- the token (``Authorization`` header) is checked before the stream starts (401), and when it expires
  the stream ends with a ``next`` carrying the error ``TOKEN_EXPIRED`` and ``complete``;
- it takes one of the identity's live connection slots, shared with WebSockets (429 past the limit);
- a slow consumer gets what its queue held, then the error ``SLOW_CONSUMER`` and ``complete``; if it does
  not even read that within ``ABORT_GRACE_SECONDS`` the connection is cut, never buffered without bound;
- subscriptions only: queries and mutations are answered on the ordinary POST.
Depth, alias, token and cost limits, visibility and ``after:`` resume are the schema's, as on
WebSockets; the body limit and CORS are the app's, as for every HTTP request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime, timezone
from functools import partial
from typing import Any

from anyio import CancelScope, create_task_group
from litestar.response.streaming import ASGIStreamingResponse, Stream
from litestar.types import Receive, Send
from strawberry.http.streaming import SSETransport
from strawberry.types.graphql import OperationType

from citynet.infra.live_slots import Slot

ABORT_GRACE_SECONDS = 5.0
TOKEN_EXPIRED = "TOKEN_EXPIRED"
CONNECTED = ": connected\r\n\r\n"  # the first bytes of every stream, before any event or keep-alive


def sse_transport(keepalive_seconds: float) -> type[SSETransport]:
    class LiveSSETransport(SSETransport):
        """graphql-sse, subscriptions only, with the configured keep-alive interval."""

        def __init__(self) -> None:
            super().__init__(heartbeat_interval=keepalive_seconds)

        def allowed_operation_types(self, allowed_operation_types: set[OperationType]) -> Iterable[OperationType]:
            return (OperationType.SUBSCRIPTION,)

    return LiveSSETransport


def _event(event: str, payload: Any = None) -> str:
    data = "" if payload is None else json.dumps(payload, separators=(",", ":"))
    return f"event: {event}\r\ndata: {data}\r\n\r\n"


class LiveHTTPStream:
    """One Server-Sent Events subscription: its connection slot, its token's expiry, its end."""

    def __init__(self, slot: Slot, expiry: datetime | None) -> None:
        self.slot = slot
        self.expiry = expiry
        self.ending: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.abort = asyncio.Event()
        self._released = False

    async def release(self) -> None:
        if not self._released:
            self._released = True
            await self.slot.release()

    def on_overflow(self, error: Exception) -> None:
        """The feed dropped this subscriber. Its generator delivers what is queued, then raises SlowConsumer,
        which strawberry sends as an error (code SLOW_CONSUMER) before ``complete``; a client that does not
        read even that within the grace period is cut off."""
        asyncio.get_running_loop().call_later(ABORT_GRACE_SECONDS, self.abort.set)

    def end(self, error: dict[str, Any]) -> None:
        if not self.ending.done():
            self.ending.set_result(error)

    async def _expire(self) -> None:
        if self.expiry is None:
            return
        await asyncio.sleep(max((self.expiry - datetime.now(timezone.utc)).total_seconds(), 0.0))
        self.end({"message": "Forbidden: token expired", "extensions": {"code": TOKEN_EXPIRED}})

    async def guard(self, source: AsyncGenerator[str, None]) -> AsyncIterator[str]:
        """strawberry's event stream after ``: connected``, ended early (with the error and ``complete``) when
        the token expires."""
        expiry = asyncio.get_running_loop().create_task(self._expire())
        following: asyncio.Future[str] | None = None
        try:
            yield CONNECTED
            while True:
                following = asyncio.ensure_future(source.__anext__())
                await asyncio.wait((following, self.ending), return_when=asyncio.FIRST_COMPLETED)
                if following.done():
                    try:
                        chunk = following.result()
                    except StopAsyncIteration:
                        return
                    yield chunk
                    continue
                yield _event("next", {"errors": [self.ending.result()]})
                yield _event("complete")
                return
        finally:
            # Also when the client went away (the response task is cancelled here): stop the pending read
            # first, or the generator could not be closed and its subscription would stay in the feed.
            expiry.cancel()
            with CancelScope(shield=True):  # anyio cancels again at every await of a cancelled scope
                if following is not None and not following.done():
                    following.cancel()
                    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, Exception):
                        await following
                with contextlib.suppress(Exception):
                    await source.aclose()
                await self.release()


class _LiveASGIStream(ASGIStreamingResponse):
    __slots__ = ("live",)

    live: LiveHTTPStream

    async def _abort_when_told(self, cancel_scope: CancelScope) -> None:
        await self.live.abort.wait()
        cancel_scope.cancel()  # the client does not read: cut the connection rather than buffer

    async def send_body(self, send: Send, receive: Receive) -> None:
        try:
            async with create_task_group() as task_group:
                task_group.start_soon(partial(self._stream, send))
                task_group.start_soon(self._abort_when_told, task_group.cancel_scope)
                await self._listen_for_disconnect(cancel_scope=task_group.cancel_scope, receive=receive)
        finally:
            await self.live.release()


class LiveStream(Stream):
    """A ``Stream`` whose end releases the connection slot, and which can be cut from outside."""

    def __init__(self, live: LiveHTTPStream, stream: Callable[[], AsyncGenerator[str, None]],
                 status_code: int | None, headers: Mapping[str, str]) -> None:
        super().__init__(live.guard(stream()), status_code=status_code, headers=dict(headers))
        self.live = live

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIStreamingResponse:
        plain = super().to_asgi_response(*args, **kwargs)
        response = object.__new__(_LiveASGIStream)  # the same response, with the slot release and the cut
        for cls in type(plain).__mro__:
            for name in getattr(cls, "__slots__", ()):
                if hasattr(plain, name):
                    setattr(response, name, getattr(plain, name))
        response.live = self.live
        return response
