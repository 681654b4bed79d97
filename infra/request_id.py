"""Every HTTP request gets an id, returned in ``X-Request-ID`` so a partner can quote it.

A well-formed incoming ``X-Request-ID`` is kept (a gateway's id carries
through); otherwise a new UUID is made. The id is the correlation id of every
event the request causes.
"""

from __future__ import annotations

import re
import uuid

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from citynet.services.attribution import ANONYMOUS, set_request

HEADER = "x-request-id"
ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"x-request-id"), "")
        request_id = incoming if ACCEPTABLE.match(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        set_request(ANONYMOUS, request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableScopeHeaders.from_message(message)[HEADER] = request_id
            await send(message)

        await app(scope, receive, send_with_id)

    return middleware
