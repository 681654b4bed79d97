"""Identity, roles, personal data and erasure over the API, on both stores."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from litestar.exceptions import WebSocketDisconnect
from litestar.security.jwt import Token
from litestar.testing import TestClient
from sqlalchemy import text

from citynet.infra.app import create_app
from citynet.infra.auth import DEV_SECRET
from citynet.infra.settings import Settings, SettingsError
from citynet.services import audit_chain
from citynet.services.demo import load_demo
from citynet.services.history import ExportFilter, export_lines
from citynet.services.rebuild import rebuild

REGISTER_CITY = """mutation { registerCity(input: {name: "Kiel", countryCode: "DE", timeZone: "Europe/Berlin"}) {
  __typename ... on NotAllowed { permission message } } }"""
DELEGATES = """query($topic: String) { workshops(filter: {topic: $topic}) { edges { node {
  registrations(first: 50) { edges { node { id city { name } delegate { personId name email } } } } } } } }"""


@pytest.fixture
def demo(api: Any, services: Any) -> dict[str, str]:
    load_demo(services)
    data = api("{ networks { edges { node { id shortName } } } cities(first: 50) { edges { node { id name } } } }")
    ids = {e["node"]["shortName"]: e["node"]["id"] for e in data["networks"]["edges"]}
    ids.update({e["node"]["name"]: e["node"]["id"] for e in data["cities"]["edges"]})
    return ids


def uuid_of(global_id: str) -> str:
    import base64

    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode().split(":")[-1]


def delegates(client: Any, topic: str = "sheltering") -> list[dict[str, Any]]:
    edges = client(DELEGATES, {"topic": topic})["workshops"]["edges"][0]["node"]["registrations"]["edges"]
    return [e["node"] for e in edges]


def test_anonymous_and_auditors_change_nothing(api: Any, services: Any) -> None:
    before = services.projector.head()
    for role in ("anonymous", "auditor"):
        result = api.as_actor(role)(REGISTER_CITY)["registerCity"]
        assert result["__typename"] == "NotAllowed" and result["permission"] == "city:register"
    assert services.projector.head() == before


def test_coordinators_manage_only_their_networks(api: Any, demo: dict[str, str], services: Any) -> None:
    add = """mutation($n: ID!) { addCommission(input: {networkId: $n, name: "Youth Commission"}) {
        __typename ... on NotAllowed { permission } } }"""
    efus = api.as_actor("coordinator", networks=(uuid_of(demo["Efus"]),))
    assert efus(add, {"n": demo["UBC"]})["addCommission"] == {"__typename": "NotAllowed", "permission": "network:manage"}
    ubc = api.as_actor("coordinator", networks=(uuid_of(demo["UBC"]),))
    assert ubc(add, {"n": demo["UBC"]})["addCommission"]["__typename"] == "CommissionPayload"


def test_personal_data_is_shown_only_to_those_entitled(api: Any, demo: dict[str, str]) -> None:
    everyone = delegates(api)
    assert all(d["delegate"]["email"] for d in everyone)  # admin
    coordinator = api.as_actor("coordinator", networks=(uuid_of(demo["UBC"]),))
    assert all(d["delegate"]["name"] for d in delegates(coordinator))
    vienna = api.as_actor("city_representative", city=uuid_of(demo["Vienna"]))
    seen = {d["city"]["name"]: bool(d["delegate"]["email"]) for d in delegates(vienna)}
    assert seen["Vienna"] and not seen["Rostock"] and not seen["Liepāja"]
    for role in ("auditor", "anonymous"):
        for d in delegates(api.as_actor(role)):
            assert d["delegate"]["name"] is None and d["delegate"]["email"] is None
            # the person id links one person across workshops: auditors only (pseudonymous, stable)
            assert bool(d["delegate"]["personId"]) == (role == "auditor")


def test_anonymous_reads_published_work_only(api: Any, demo: dict[str, str]) -> None:
    public = api.as_actor("anonymous")
    topics = {e["node"]["topic"] for e in public("{ workshops { edges { node { topic status } } } }")["workshops"]["edges"]}
    assert "warning procedures" not in topics and "sheltering" in topics  # proposed workshops are internal
    plans = public("{ actionPlans { edges { node { title } } } protocols { edges { node { title } } } }")
    # The two adopted demo plans (Connecting Resilient Cities, Urban Agenda Action 3); the protocol is not adopted.
    assert len(plans["actionPlans"]["edges"]) == 2 and plans["protocols"]["edges"] == []
    denied = public.post("{ events { totalCount } auditHead { hash } }").json()
    assert {e["extensions"]["code"] for e in denied["errors"]} == {"FORBIDDEN"}
    assert api.as_actor("auditor")("{ events { totalCount } }")["events"]["totalCount"] > 100


def test_bad_tokens_are_refused(api: Any) -> None:
    settings = api.settings

    def token(**changes: Any) -> str:
        claims = {"exp": datetime.now(timezone.utc) + timedelta(minutes=5), "sub": "x", "iss": settings.jwt_issuer,
                  "aud": settings.jwt_audience, "extras": {"role": "admin"}}
        claims.update(changes)
        return Token(**claims).encode(DEV_SECRET, "HS256")

    expired = Token(exp=datetime.now(timezone.utc) + timedelta(seconds=1), sub="x", iss=settings.jwt_issuer,
                    aud=settings.jwt_audience, extras={"role": "admin"})
    object.__setattr__(expired, "exp", datetime.now(timezone.utc) - timedelta(minutes=1))
    cases = {
        "garbage": "not-a-jwt",
        "wrong audience": token(aud="someone-else"),
        "wrong issuer": token(iss="someone-else"),
        "unknown role": token(extras={"role": "mayor"}),
        "coordinator without networks": token(extras={"role": "coordinator"}),
        "wrong key": Token(exp=datetime.now(timezone.utc) + timedelta(minutes=5), sub="x", iss=settings.jwt_issuer,
                           aud=settings.jwt_audience, extras={"role": "admin"}).encode("another-secret-" * 3, "HS256"),
        "expired": expired.encode(DEV_SECRET, "HS256"),
    }
    for name, value in cases.items():
        response = api.http.post("/graphql", json={"query": "{ readPosition }"}, headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401, name
    assert api.http.post("/graphql", json={"query": "{ readPosition }"}, headers={"Authorization": "Basic x"}).status_code == 401


def test_es256_tokens_with_a_configured_public_key(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public_path = tmp_path / "public.pem"
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                           serialization.PublicFormat.SubjectPublicKeyInfo))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.sqlite3'}", jwt_algorithm="ES256",
                        jwt_public_key=str(public_path), jwt_private_key=private)
    from citynet.infra.auth import mint

    good = mint(settings.token_config, subject="ops", role="admin")
    forged = Token(exp=datetime.now(timezone.utc) + timedelta(minutes=5), sub="x", iss="citynet", aud="citynet-api",
                   extras={"role": "admin"}).encode(DEV_SECRET, "HS256")
    with TestClient(app=create_app(settings)) as client:
        ok = client.post("/graphql", json={"query": REGISTER_CITY}, headers={"Authorization": f"Bearer {good}"})
        assert ok.json()["data"]["registerCity"]["__typename"] == "RegisterCityPayload"
        assert client.post("/graphql", json={"query": "{ readPosition }"},
                           headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_production_refuses_default_or_missing_secrets() -> None:
    base = {"CITYNET_PROFILE": "production", "CITYNET_DATABASE_URL": "postgresql://u@h/db"}
    for secret in (None, DEV_SECRET, "short"):
        env = dict(base) if secret is None else {**base, "CITYNET_JWT_SECRET": secret}
        with pytest.raises(SettingsError) as refused:
            Settings.from_env(env)
        assert secret is None or secret not in str(refused.value)  # never echo a secret
    with pytest.raises(SettingsError):
        Settings.from_env({**base, "CITYNET_JWT_ALGORITHM": "RS256"})
    ok = Settings.from_env({**base, "CITYNET_JWT_SECRET": "s" * 40})
    assert "s" * 40 not in repr(ok)  # secrets stay out of logs and reprs


def test_erasure_leaves_no_name_or_email_anywhere(api: Any, demo: dict[str, str], services: Any) -> None:
    lena = next(d for d in delegates(api) if d["delegate"]["name"] == "Lena Muster")
    email = lena["delegate"]["email"]
    vienna = api.as_actor("city_representative", city=uuid_of(demo["Vienna"]))
    erase = """mutation($p: ID!) { erasePerson(input: {personId: $p}) { __typename
        ... on NotAllowed { permission } ... on ErasePersonPayload { personId } } }"""
    assert vienna(erase, {"p": lena["delegate"]["personId"]})["erasePerson"]["__typename"] == "NotAllowed"
    assert api(erase, {"p": lena["delegate"]["personId"]})["erasePerson"]["personId"] == lena["delegate"]["personId"]

    after = next(d for d in delegates(api) if d["id"] == lena["id"])
    assert after["delegate"]["name"] is None and after["delegate"]["email"] is None  # the place stays, the person is gone
    rebuild(services)
    assert next(d for d in delegates(api) if d["id"] == lena["id"])["delegate"]["name"] is None
    exported = "\n".join(export_lines(services.app, ExportFilter()))
    assert email not in exported and "Lena Muster" not in exported
    assert '"PersonErased"' in exported  # the erasure itself is on record
    assert audit_chain.verify(services.app.recorder, services.sync_engine).ok
    with services.sync_engine.connect() as conn:
        table = "stored_events" if services.storage.is_sqlite else "citynet_events"
        blobs = b"".join(bytes(r[0]) for r in conn.execute(text(f"SELECT state FROM {table}")))
        assert email.encode() not in blobs and b"Lena Muster" not in blobs
        assert conn.execute(text("SELECT count(*) FROM pd_people WHERE email = :e"), {"e": email}).scalar() == 0
    if services.storage.is_sqlite:  # and no stale copy in the database files
        path = services.storage.sqlite_path
        raw = b"".join(Path(f"{path}{s}").read_bytes() for s in ("", "-wal") if Path(f"{path}{s}").exists())
        assert email.encode() not in raw and b"Lena Muster" not in raw


def test_request_limits(api: Any, tmp_path: Path) -> None:
    huge = {"query": "{ readPosition }", "variables": {"pad": "x" * 200_000}}
    assert api.http.post("/graphql", json=huge).status_code == 413
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.sqlite3'}", rate_limit_per_minute=5)
    with TestClient(app=create_app(settings)) as client:
        codes = [client.post("/graphql", json={"query": "{ readPosition }"}).status_code for _ in range(7)]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_production_profile_hides_the_schema(tmp_path: Path) -> None:
    settings = Settings(profile="production", database_url=f"sqlite:///{tmp_path / 'p.sqlite3'}", graphiql=False,
                        introspection=False, jwt_secret="p" * 40)
    with TestClient(app=create_app(settings)) as client:
        page = client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code != 200 or "graphiql" not in page.text.lower()
        introspection = client.post("/graphql", json={"query": "{ __schema { types { name } } }"}).json()
        assert introspection.get("data") is None and introspection["errors"]
        typo = client.post("/graphql", json={"query": "{ networkz { totalCount } }"}).json()
        assert "Did you mean" not in json.dumps(typo)


def test_websocket_token_comes_in_connection_init(api: Any, services: Any) -> None:
    from tests.conftest import mint_token

    good = mint_token(api.settings, "admin")
    with api.http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {good}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": REGISTER_CITY.replace("Kiel", "Lübeck")}})
        message = ws.receive_json()
        assert message["payload"]["data"]["registerCity"]["__typename"] == "RegisterCityPayload"
    with api.http.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": "Bearer forged"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403


def test_rate_limits_are_shared_across_processes_through_redis(tmp_path: Path) -> None:
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as e:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true requires Redis at {url}: {e}")
        pytest.skip(f"Redis at {url} is not reachable: {e}")
    redis.Redis.from_url(url).delete(*redis.Redis.from_url(url).keys("citynet_rate_limit*") or ["none"])
    db = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    settings = Settings(database_url=db, rate_limit_per_minute=4, redis_url=url)
    # Two apps stand for two worker processes: one budget for the client between them.
    with TestClient(app=create_app(settings)) as one, TestClient(app=create_app(settings)) as two:
        codes = [(one if i % 2 else two).post("/graphql", json={"query": "{ readPosition }"}).status_code
                 for i in range(6)]
    assert codes[:4] == [200] * 4 and codes[4:] == [429, 429]
