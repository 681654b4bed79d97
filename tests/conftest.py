"""Fixtures: every service and API test runs on SQLite and on PostgreSQL.

PostgreSQL is taken from CITYNET_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test). Each test gets a database of its
own, dropped afterwards. When PostgreSQL does not answer, its tests are
skipped with the reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from litestar.testing import TestClient

from citynet.infra.app import create_app
from citynet.infra.auth import mint
from citynet.infra.settings import Settings
from citynet.services.clock import FixedClock
from citynet.services.runtime import Citynet

ADMIN_URL = os.environ.get("CITYNET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


@lru_cache(maxsize=1)
def postgres_problem() -> str | None:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as e:  # noqa: BLE001 - any failure means "not reachable"
        return f"PostgreSQL at {ADMIN_URL} is not reachable: {e}".strip()


def _db_url(dbname: str) -> str:
    base, _, _ = ADMIN_URL.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    problem = postgres_problem()
    if problem:
        if IN_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {problem}")
        pytest.skip(problem)
    name = f"citynet_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _db_url(name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'citynet.sqlite3'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    # One loop per test: pooled async connections belong to the loop that made them.
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop) -> Callable[[Any], Any]:
    return loop.run_until_complete


@pytest.fixture
def citynet(database_url: str, loop: asyncio.AbstractEventLoop) -> Iterator[Citynet]:
    services = Citynet(database_url, clock=FixedClock())
    yield services
    loop.run_until_complete(services.async_engine.dispose())
    services.close()


def mint_token(settings: Settings, role: str, city: str | None = None, networks: tuple[str, ...] = ()) -> str:
    return mint(settings.token_config, subject=f"test-{role}", role=role, city_id=city, network_ids=networks)


class GraphQLClient:
    """Acts as an admin unless told otherwise (``as_actor``): most tests are about behaviour, not access."""

    def __init__(self, client: TestClient, settings: Settings, token: str | None = "admin") -> None:
        self.http = client
        self.settings = settings
        self.token = mint_token(settings, "admin") if token == "admin" else token

    def as_actor(self, role: str, city: str | None = None, networks: tuple[str, ...] = ()) -> GraphQLClient:
        """Another identity on the same app; role "anonymous" sends no token."""
        token = None if role == "anonymous" else mint_token(self.settings, role, city, networks)
        return GraphQLClient(self.http, self.settings, token)

    def post(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers,
                              **kwargs)

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an operation that must succeed at the GraphQL level; return its data."""
        response = self.post(query, variables)
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def api(database_url: str) -> Iterator[GraphQLClient]:
    # The app owns its services here, as in production: built in the lifespan,
    # closed on shutdown, async pools bound to the app's loop.
    settings = Settings(database_url=database_url, projection_poll_seconds=0.2)
    # A fixed clock (1 June 2026): no test depends on the real date.
    with TestClient(app=create_app(settings, clock=FixedClock())) as client:
        yield GraphQLClient(client, settings)


@pytest.fixture
def services(api: GraphQLClient) -> Citynet:
    return api.http.app.state.citynet
