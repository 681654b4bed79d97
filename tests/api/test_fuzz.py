"""A bounded schemathesis run against the GraphQL schema.

Every query and mutation field gets generated operations (arbitrary
arguments and selections), sent anonymously and as an admin. None may cause a
server error (5xx) or an unmasked exception. Derandomized, so a failure
reproduces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from schemathesis.graphql import nodes

from citynet.infra.app import create_app
from citynet.infra.settings import Settings
from citynet.services.demo import load_demo
from tests.conftest import mint_token

schemathesis.graphql.scalar("Position", st.integers(min_value=0, max_value=2**40).map(nodes.Int))
schemathesis.graphql.scalar("JSON", st.sampled_from(["{}", "x"]).map(nodes.String))

EXAMPLES_PER_FIELD = 6


@pytest.fixture
def app_client(tmp_path: Path) -> Any:
    config = Settings(database_url=f"sqlite:///{tmp_path / 'fuzz.sqlite3'}", rate_limit_per_minute=100_000)
    with TestClient(app=create_app(config)) as client:
        load_demo(client.app.state.citynet)
        yield client, config


def test_generated_operations_never_cause_server_errors(app_client: Any) -> None:
    client, config = app_client
    schema = schemathesis.graphql.from_asgi("/graphql", client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50  # every query and mutation field
    identities = {"anonymous": {}, "admin": {"Authorization": f"Bearer {mint_token(config, 'admin')}"}}
    sent = 0
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_FIELD, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            nonlocal sent
            body = case.as_transport_kwargs()["json"]
            for name, headers in identities.items():
                response = client.post("/graphql", json=body, headers=headers)
                sent += 1
                assert response.status_code < 500, (name, body, response.text)
                assert "Internal server error" not in response.text, (name, body, response.text)
                assert "Traceback" not in response.text

        check()
    assert sent >= 300
