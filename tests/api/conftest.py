from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from citynet.infra.app import create_app
from citynet.infra.settings import Settings
from citynet.services.runtime import Citynet


class GraphQLClient:
    def __init__(self, client: TestClient) -> None:
        self.http = client

    def post(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}}, **kwargs)

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
    with TestClient(app=create_app(settings)) as client:
        yield GraphQLClient(client)


@pytest.fixture
def services(api: GraphQLClient) -> Citynet:
    return api.http.app.state.citynet
