"""Helpers for live-update tests against real server processes: a Server-Sent Events client (httpx,
streaming reads, graphql-sse "distinct connections mode"), tokens, and module-scoped servers on both
stores."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import psycopg
import pytest
from litestar.security.jwt import Token
from psycopg import sql

from citynet.infra.auth import mint
from citynet.infra.settings import Settings
from tests.conftest import ADMIN_URL, IN_CI, _db_url, postgres_problem
from tests.e2e.test_cli import Server, citynet

CONFIG = Settings().token_config  # the servers run with the development defaults


def token(role: str = "admin", subject: str | None = None, city: str | None = None,
          networks: tuple[str, ...] = ()) -> str:
    return mint(CONFIG, subject=subject or f"e2e-{role}-{uuid.uuid4().hex[:8]}", role=role, city_id=city,
                network_ids=networks)


def short_token(seconds: float, role: str = "auditor") -> str:
    return Token(exp=datetime.now(timezone.utc) + timedelta(seconds=seconds), sub=f"short-{uuid.uuid4().hex[:6]}",
                 iss=CONFIG.issuer, aud=CONFIG.audience, extras={"role": role}).encode(CONFIG.signing_key,
                                                                                       CONFIG.algorithm)


def gql(port: int, query: str, variables: dict[str, Any] | None = None, bearer: str | None = None) -> Any:
    headers = {"authorization": f"Bearer {bearer}"} if bearer else {}
    answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": variables or {}},
                        headers=headers, timeout=20)
    body = answer.json()
    assert answer.status_code == 200 and "errors" not in body, body
    return body["data"]


class SSE:
    """One subscription over Server-Sent Events, read as a stream (no buffering of the whole body)."""

    def __init__(self, port: int, query: str, variables: dict[str, Any] | None = None, bearer: str | None = None,
                 headers: dict[str, str] | None = None, method: str = "POST") -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(20.0))
        sent = {"accept": "text/event-stream", **({"authorization": f"Bearer {bearer}"} if bearer else {}),
                **(headers or {})}
        url = f"http://127.0.0.1:{port}/graphql"
        if method == "GET":
            params = {"query": query, "variables": json.dumps(variables or {})}
            self.cm = self.client.stream("GET", url, params=params, headers=sent)
        else:
            self.cm = self.client.stream("POST", url, json={"query": query, "variables": variables or {}},
                                         headers=sent)
        self.response = self.cm.__enter__()
        self.lines = self.response.iter_lines()
        self.comments = 0
        self.closed = False

    @property
    def status(self) -> int:
        return self.response.status_code

    def event(self, within: float = 15.0) -> tuple[str, Any]:
        """The next event (name, decoded data); comments (keep-alives) are counted and skipped."""
        deadline = time.monotonic() + within
        name, data = None, []
        for line in self.lines:
            if line.startswith(":"):
                self.comments += 1
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and name is not None:
                text = "\n".join(data)
                return name, json.loads(text) if text else None
            if time.monotonic() > deadline:
                raise AssertionError(f"no event within {within}s")
        return "eof", None

    def next(self, within: float = 15.0) -> dict[str, Any]:
        name, payload = self.event(within)
        assert name == "next", (name, payload)
        return payload  # type: ignore[no-any-return]

    def data(self, field: str) -> dict[str, Any]:
        payload = self.next()
        assert payload.get("data") and not payload.get("errors"), payload
        return payload["data"][field]  # type: ignore[no-any-return]

    def error(self) -> dict[str, Any]:
        """The error that ends the stream, then its ``complete``."""
        payload = self.next()
        assert payload.get("errors"), payload
        assert self.event()[0] == "complete"
        return payload["errors"][0]  # type: ignore[no-any-return]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.cm.__exit__(None, None, None)
            self.client.close()


@contextmanager
def database(store: str, tmp: Any) -> Iterator[dict[str, str]]:
    """The environment of a server on a fresh database of this store (PostgreSQL dropped afterwards)."""
    if store == "sqlite":
        yield {"CITYNET_DATA_DIR": str(tmp), "CITYNET_DATABASE_URL": ""}
        return
    problem = postgres_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {problem}")
        pytest.skip(problem)
    name = f"citynet_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {"CITYNET_DATABASE_URL": _db_url(name)}
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def seeded(env: dict[str, str]) -> None:
    done = citynet(env, "seed", "--demo")
    assert done.returncode == 0, done.stderr


__all__ = ["SSE", "Server", "database", "gql", "seeded", "short_token", "token"]
