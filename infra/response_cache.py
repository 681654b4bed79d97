"""Repeated GraphQL queries answered without executing them, and ETag / 304 for GET queries.

A query's answer is a function of (the document, its variables and operation name, the Accept
header, what the caller may see, the read models' position, and "today" in the host zones). The
cache key is exactly that tuple:

- what the caller may see is ``authz.visibility_key`` (role plus the city or networks it acts
  for): two coordinators of the same networks share entries, a coordinator and an anonymous
  reader never do;
- the position is ``Citynet.read_version()`` (every projection's position and rebuild count), taken
  *before* executing: the rows read are at least that new, and an answer is kept only if the version
  has not moved by the time it is built, so an entry is never older or newer than its key says; once
  the read models move on, no request asks for the old version again (the lowest position alone was
  not enough: a stalled projection that recovers changes rows while the lowest position may stay);
- "today" enters through the clock truncated to the quarter hour: every UTC offset in use is a
  multiple of 15 minutes, so no zone's date changes within one bucket.

Bounded: at most ``size`` entries (LRU), none above ``MAX_ENTRY_BYTES``; entries of an older
position are dropped as soon as one of a newer position is stored, so memory holds one
position's answers. Only successful answers are kept (200 with no ``errors``), and none that showed a name or an
e-mail: personal data lives outside the event log (so it can be erased) and the position does not
cover it. Mutations,
subscriptions, documents that do not parse and requests waiting for a minimum position pass
straight through.

ETag: a GET query's response carries a strong ETag (a hash of its body) and
``Cache-Control: private, no-cache``; a request whose If-None-Match holds it is answered 304.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs

from graphql import OperationDefinitionNode, parse
from graphql.error import GraphQLError
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from citynet.infra.auth import AuthError, TokenConfig, actor_from_header
from citynet.domain.language import accept_language
from citynet.services import authz
from citynet.services.attribution import Actor

MAX_ENTRY_BYTES = 1_000_000
REQUEST_READS = "citynet_reads"  # scope state: the request's VisibleReads, set by the GraphQL context
PATH = "/graphql"
MIN_POSITION = b"x-citynet-min-position"
DROPPED_HEADERS = {b"content-length", b"date", b"x-request-id", b"etag"}


@dataclass(frozen=True)
class Entry:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes


@lru_cache(maxsize=512)
def operation_kind(document: str, operation_name: str | None) -> str | None:
    """query, mutation or subscription; None when the document does not parse or names no single
    operation (execution will say why)."""
    try:
        ops = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    except GraphQLError:
        return None
    if operation_name:
        ops = [o for o in ops if o.name and o.name.value == operation_name]
    return ops[0].operation.value if len(ops) == 1 else None


class Actors:
    """Verified tokens, remembered until they expire: a signature check per request is a large
    share of a cached answer's cost."""

    def __init__(self, config: TokenConfig, size: int = 1024) -> None:
        self.config = config
        self.size = size
        self.known: OrderedDict[str, tuple[Actor, float]] = OrderedDict()

    def __call__(self, header: str | None) -> Actor | None:
        """The actor, or None for a token the app must refuse itself."""
        if not header:
            return actor_from_header(None, self.config)
        hit = self.known.get(header)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        try:
            actor = actor_from_header(header, self.config)
        except AuthError:
            return None
        self.known[header] = (actor, _expiry(header))
        if len(self.known) > self.size:
            self.known.popitem(last=False)
        return actor


def _expiry(header: str) -> float:
    """The verified token's exp claim (its payload was just checked, so reading it plainly is safe)."""
    try:
        payload = header.split(" ", 1)[1].split(".")[1]
        return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return 0.0


class ResponseCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[bytes, Entry] = OrderedDict()
        self.position: Any = None
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes, position: Any) -> Entry | None:
        if position != self.position:
            return None
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return entry

    def put(self, key: bytes, position: Any, entry: Entry, now: Any = None) -> None:
        """``position``: the read version the answer was built at; ``now``: the version now (the
        answer is kept only if nothing moved meanwhile: it may hold newer rows than its key says)."""
        if (now is not None and position != now) or len(entry.body) > MAX_ENTRY_BYTES:
            return
        if position != self.position:  # the read models moved on: older answers are never asked for again
            self.entries.clear()
            self.position = position
        self.entries[key] = entry
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", [])}


def _request(scope: Scope, body: bytes, headers: dict[bytes, bytes]) -> tuple[str, Any, str | None] | None:
    """(document, variables, operation name) of a GraphQL request this cache understands."""
    try:
        if scope["method"] == "GET":
            params = parse_qs(scope.get("query_string", b"").decode(), keep_blank_values=True)
            document = params.get("query", [None])[0]
            variables = json.loads(params["variables"][0]) if params.get("variables", [""])[0] else None
            name = params.get("operationName", [None])[0] or None
        elif headers.get(b"content-type", b"").split(b";")[0].strip() == b"application/json":
            data = json.loads(body)
            if not isinstance(data, dict):
                return None
            document, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
        else:
            return None
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(document, str) or (name is not None and not isinstance(name, str)):
        return None
    return document, variables, name


def _etag_matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")}
    return etag in tags or b"*" in tags


def _streaming(scope: Scope) -> bool:
    """A subscription over Server-Sent Events (or multipart): a stream, never an answer to keep."""
    accept = b",".join(v for k, v in scope.get("headers", []) if k.lower() == b"accept").lower()
    return b"text/event-stream" in accept or b"multipart/mixed" in accept


def response_cache_middleware(size: int, tokens: TokenConfig) -> Any:
    cache = ResponseCache(size)
    actors = Actors(tokens)

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if (scope["type"] != "http" or scope["path"] != PATH or scope["method"] not in ("GET", "POST")
                    or _streaming(scope)
                    or (size <= 0 and scope["method"] == "POST")):  # cache off: a POST has nothing to gain here
                await app(scope, receive, send)
                return
            body, more, messages = b"", scope["method"] == "POST", []
            while more:
                message = await receive()
                messages.append(message)
                body += message.get("body", b"")
                more = message.get("more_body", False) and len(body) <= MAX_ENTRY_BYTES

            async def replay() -> Message:
                return messages.pop(0) if messages else await receive()

            headers = _headers(scope)
            request = _request(scope, body, headers)
            citynet = scope["app"].state.citynet
            actor = actors(headers.get(b"authorization", b"").decode("latin-1") or None)
            # Several Authorization headers: the app reads the first, a dict keeps the last; never
            # cache such a request (a review stored an admin's answer under another caller's key).
            # The same for Accept-Language: the language would come from one header, the key from another.
            counts = Counter(k.lower() for k, _ in scope.get("headers", []))
            several = counts[b"authorization"] > 1 or counts[b"accept-language"] > 1
            if (request is None or actor is None or MIN_POSITION in headers or more or several
                    or operation_kind(request[0], request[2]) != "query"):
                await app(scope, replay, send)
                return
            position = citynet.read_version()
            now = citynet.clock.now()
            key = hashlib.sha256(json.dumps([
                scope["method"], request[0], request[1], request[2], headers.get(b"accept", b"").decode("latin-1"),
                accept_language(headers.get(b"accept-language", b"").decode("latin-1")), authz.visibility_key(actor), position, now.strftime("%Y-%m-%dT%H"), now.minute // 15,
            ], sort_keys=True, default=str).encode()).digest()
            entry = cache.get(key, position) if size > 0 else None
            if entry is None:
                entry = await _execute(app, scope, replay, send)
                if entry is None:
                    return  # already sent as it came (not a cacheable answer)
                reads = scope.get("state", {}).get(REQUEST_READS)
                if size > 0 and not (reads is not None and reads.showed_personal_data):
                    cache.put(key, position, entry, citynet.read_version())
            await _answer(scope, send, entry, headers.get(b"if-none-match"))

        return middleware

    factory.cache = cache  # type: ignore[attr-defined]
    return factory


async def _execute(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> Entry | None:
    """Run the request; return its answer if it is cacheable, else pass it on untouched."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []
    passing = False

    async def capture(message: Message) -> None:
        nonlocal passing
        if passing:
            await send(message)
            return
        if message["type"] == "http.response.start":
            start.update(message)
            if message["status"] != 200:
                passing = True
                await send(message)
            return
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            body = b"".join(chunks)
            if b'"errors"' in body and "errors" in json.loads(body):
                passing = True
                await send(start)  # type: ignore[arg-type]
                await send({"type": "http.response.body", "body": body})

    await app(scope, receive, capture)
    if passing or not start:
        return None
    body = b"".join(chunks)
    kept = tuple((k, v) for k, v in start.get("headers", []) if k.lower() not in DROPPED_HEADERS)
    return Entry(start["status"], kept, body, b'"' + hashlib.sha256(body).hexdigest()[:32].encode() + b'"')


async def _answer(scope: Scope, send: Send, entry: Entry, if_none_match: bytes | None) -> None:
    if scope["method"] != "GET":
        await send({"type": "http.response.start", "status": entry.status,
                    "headers": [*entry.headers, (b"content-length", str(len(entry.body)).encode())]})
        await send({"type": "http.response.body", "body": entry.body})
        return
    validators = [(b"etag", entry.etag), (b"cache-control", b"private, no-cache"),
                  (b"vary", b"Accept, Accept-Language, Authorization")]
    if _etag_matches(if_none_match, entry.etag):
        await send({"type": "http.response.start", "status": 304, "headers": validators})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": entry.status,
                "headers": [*entry.headers, *validators, (b"content-length", str(len(entry.body)).encode())]})
    await send({"type": "http.response.body", "body": entry.body})
