"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): media types and status codes.

- ``Accept`` picks the response media type: ``application/graphql-response+json``
  when the client names it at least as preferred as ``application/json``;
  ``application/json`` for a missing ``Accept``, ``*/*`` and ``application/*``
  (the spec's legacy default); 406 when it allows neither.
- A request error (parse, validation, the cost limit, variable coercion: no
  execution happened) carries no ``data`` key. Under
  ``application/graphql-response+json`` it is a 400; under ``application/json``
  a 200, as legacy clients expect. (A fault of ours before execution: 500 under the former.)
- Execution errors (``data`` present, even null) are a 200 under both.
- A request that is not well-formed (bad JSON, no query) is a 400, a mutation
  over GET a 405 with ``Allow: POST``; their body is a GraphQL response with
  ``errors`` only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
SUPPORTED = (JSON, GRAPHQL_RESPONSE)  # JSON first: it wins ties on wildcards


def _ranges(accept: str) -> list[tuple[str, str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if "/" not in media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        kind, _, sub = media.lower().partition("/")
        ranges.append((kind, sub, q))
    return ranges


def _specificity(media_range: tuple[str, str], media: str) -> int:
    """How closely a range names ``media``: 2 exactly, 1 ``type/*``, 0 ``*/*``, -1 not at all."""
    kind, _, sub = media.partition("/")
    return {(kind, sub): 2, (kind, "*"): 1, ("*", "*"): 0}.get(media_range, -1)


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts none we serve."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    best: tuple[tuple[float, int, int], str] | None = None
    for candidate in SUPPORTED:
        matches = [(_specificity((kind, sub), candidate), q) for kind, sub, q in ranges]
        matches = [m for m in matches if m[0] >= 0]
        if not matches:
            continue
        specificity, q = max(matches)  # the most specific range decides, as in RFC 9110 12.5.1
        if q <= 0:
            continue
        # Ties go to JSON unless the client named graphql-response+json itself.
        key = (q, specificity, int(candidate == GRAPHQL_RESPONSE and specificity == 2))
        if best is None or key > best[0]:
            best = (key, candidate)
    return None if best is None else best[1]


def content_type(media: str) -> str:
    return f"{media}; charset=utf-8"


def is_request_error(response: Mapping[str, Any]) -> bool:
    """No execution happened: no data, and no error belongs to a field (field errors have a path)."""
    errors = response.get("errors")
    return bool(errors) and response.get("data") is None and not any(
        isinstance(e, Mapping) and e.get("path") for e in errors
    )


def status_for(response: Mapping[str, Any] | list[Any], media: str) -> int:
    if media == GRAPHQL_RESPONSE and isinstance(response, Mapping) and "data" not in response:
        codes = {(e.get("extensions") or {}).get("code") for e in response.get("errors") or () if isinstance(e, Mapping)}
        return 500 if "INTERNAL_SERVER_ERROR" in codes else 400  # a fault of ours, not of the request
    return 200


def error_body(message: str) -> bytes:
    return json.dumps({"errors": [{"message": message}]}, separators=(",", ":")).encode()
