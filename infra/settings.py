"""Settings from ``CITYNET_*`` environment variables, with laptop-safe defaults.

The development profile (default) runs on an embedded SQLite file under the
data directory with GraphiQL on. The production profile turns GraphiQL and
introspection off and refuses to start on SQLite.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


class SettingsError(ValueError):
    pass


def _bool(name: str, value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "on", "y"):
        return True
    if v in ("0", "false", "no", "off", "n", ""):
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


def _int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from None


@dataclass(frozen=True)
class Settings:
    profile: str = "development"
    data_dir: Path = Path("data")
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    graphiql: bool = True
    introspection: bool = True
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    max_query_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_query_cost: int = 25_000
    read_wait_seconds: float = 5.0
    projection_poll_seconds: float = 1.0
    run_projections: bool = True  # False: serve only (projections run in another process)
    workers: int = 1
    redis_url: str = ""
    log_level: str = "INFO"
    jwt_algorithm: str = "HS256"
    jwt_secret: str = field(default="", repr=False)
    jwt_public_key: str = field(default="", repr=False)
    jwt_private_key: str = field(default="", repr=False)
    jwt_issuer: str = "citynet"
    jwt_audience: str = "citynet-api"
    rate_limit_per_minute: int = 600
    max_body_bytes: int = 100_000
    response_cache_size: int = 512  # GraphQL query responses kept (0: no response cache)
    row_cache_size: int = 1024  # read-model query results kept per projection version (0: none)
    # Live updates (docs/decisions/014-live-updates.md)
    max_subscriptions_per_connection: int = 20
    max_connections_per_identity: int = 10
    ws_idle_seconds: float = 300.0
    live_queue_size: int = 256
    live_max_replay: int = 50  # an object's missed updates a resume delivers one by one (the newest)
    ws_ping_seconds: float = 30.0  # the server's graphql-transport-ws ping interval
    ws_pong_timeout_seconds: float = 20.0  # no pong (or any message) that long after a ping: closed 4499
    ws_init_seconds: float = 5.0  # a WebSocket with no connection_init that long after the upgrade: closed 4408
    sse_keepalive_seconds: float = 15.0  # comment lines on an idle Server-Sent Events stream

    @property
    def token_config(self):  # type: ignore[no-untyped-def]
        from citynet.infra.auth import DEV_SECRET, TokenConfig

        secret = self.jwt_secret or ("" if self.is_production else DEV_SECRET)
        return TokenConfig(self.jwt_algorithm, secret, self.jwt_public_key, self.jwt_private_key,
                           self.jwt_issuer, self.jwt_audience)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'citynet.sqlite3').resolve()}"

    @property
    def is_production(self) -> bool:
        return self.profile == "production"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None}).validated()

    def validated(self) -> Settings:
        if self.profile not in ("development", "production"):
            raise SettingsError(f"CITYNET_PROFILE must be development or production, not {self.profile!r}")
        if self.is_production:
            if not self.effective_database_url.startswith(("postgresql://", "postgres://")):
                raise SettingsError("the production profile needs CITYNET_DATABASE_URL=postgresql://...")
            if self.graphiql or self.introspection:
                raise SettingsError("the production profile runs with GraphiQL and introspection off")
        self._check_secrets()
        if self.rate_limit_per_minute < 0 or self.max_body_bytes < 1024:
            raise SettingsError("CITYNET_RATE_LIMIT_PER_MINUTE must be >= 0 and CITYNET_MAX_BODY_BYTES >= 1024")
        if self.max_query_cost < 1:
            raise SettingsError(f"CITYNET_MAX_QUERY_COST must be >= 1, not {self.max_query_cost}")
        if min(self.max_subscriptions_per_connection, self.max_connections_per_identity, self.live_queue_size,
               self.live_max_replay) < 1 \
                or not min(self.ws_idle_seconds, self.ws_ping_seconds, self.ws_pong_timeout_seconds,
                           self.ws_init_seconds, self.sse_keepalive_seconds) > 0:
            raise SettingsError("live-update limits (CITYNET_MAX_SUBSCRIPTIONS_PER_CONNECTION, "
                                "CITYNET_MAX_CONNECTIONS_PER_IDENTITY, CITYNET_LIVE_QUEUE_SIZE, CITYNET_LIVE_MAX_REPLAY, "
                                "CITYNET_WS_IDLE_SECONDS, CITYNET_WS_PING_SECONDS, CITYNET_WS_PONG_TIMEOUT_SECONDS, "
                                "CITYNET_WS_INIT_SECONDS, CITYNET_SSE_KEEPALIVE_SECONDS) must be positive")
        if not 1 <= self.workers <= 64:
            raise SettingsError(f"CITYNET_WORKERS must be 1-64, not {self.workers}")
        if not 1 <= self.port <= 65535:
            raise SettingsError(f"CITYNET_PORT must be 1-65535, not {self.port}")
        return self

    def _check_secrets(self) -> None:
        from citynet.infra.auth import ASYMMETRIC, DEV_SECRET, SUPPORTED

        if self.jwt_algorithm not in SUPPORTED:
            raise SettingsError(f"CITYNET_JWT_ALGORITHM must be one of {', '.join(SUPPORTED)}")
        if not self.is_production:
            return
        # Never name the secret's value in these messages: they end up in logs.
        if self.jwt_algorithm in ASYMMETRIC:
            if not self.jwt_public_key:
                raise SettingsError(f"the production profile with {self.jwt_algorithm} needs CITYNET_JWT_PUBLIC_KEY")
        elif not self.jwt_secret or self.jwt_secret == DEV_SECRET or len(self.jwt_secret) < 32:
            raise SettingsError(
                "the production profile needs CITYNET_JWT_SECRET: at least 32 characters, not the development default"
            )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        get = env.get
        profile = get("CITYNET_PROFILE", "development").strip().lower()
        production = profile == "production"
        origins = tuple(o.strip() for o in get("CITYNET_ALLOWED_ORIGINS", "").split(",") if o.strip())
        return cls(
            profile=profile,
            data_dir=Path(get("CITYNET_DATA_DIR", "data")),
            database_url=get("CITYNET_DATABASE_URL", "").strip(),
            host=get("CITYNET_HOST", "127.0.0.1"),
            port=_int("CITYNET_PORT", get("CITYNET_PORT", "8000")),
            graphiql=_bool("CITYNET_GRAPHIQL", get("CITYNET_GRAPHIQL", "false" if production else "true")),
            introspection=_bool(
                "CITYNET_INTROSPECTION", get("CITYNET_INTROSPECTION", "false" if production else "true")
            ),
            allowed_origins=origins,
            max_query_depth=_int("CITYNET_MAX_QUERY_DEPTH", get("CITYNET_MAX_QUERY_DEPTH", "10")),
            max_aliases=_int("CITYNET_MAX_ALIASES", get("CITYNET_MAX_ALIASES", "15")),
            max_tokens=_int("CITYNET_MAX_TOKENS", get("CITYNET_MAX_TOKENS", "2000")),
            max_query_cost=_int("CITYNET_MAX_QUERY_COST", get("CITYNET_MAX_QUERY_COST", "25000")),
            read_wait_seconds=float(get("CITYNET_READ_WAIT_SECONDS", "5")),
            projection_poll_seconds=float(get("CITYNET_PROJECTION_POLL_SECONDS", "1")),
            run_projections=_bool("CITYNET_RUN_PROJECTIONS", get("CITYNET_RUN_PROJECTIONS", "true")),
            workers=_int("CITYNET_WORKERS", get("CITYNET_WORKERS", "1")),
            redis_url=get("CITYNET_REDIS_URL", "").strip(),
            log_level=get("CITYNET_LOG_LEVEL", "INFO").upper(),
            jwt_algorithm=get("CITYNET_JWT_ALGORITHM", "HS256").strip().upper(),
            jwt_secret=get("CITYNET_JWT_SECRET", ""),
            jwt_public_key=get("CITYNET_JWT_PUBLIC_KEY", ""),
            jwt_private_key=get("CITYNET_JWT_PRIVATE_KEY", ""),
            jwt_issuer=get("CITYNET_JWT_ISSUER", "citynet"),
            jwt_audience=get("CITYNET_JWT_AUDIENCE", "citynet-api"),
            rate_limit_per_minute=_int("CITYNET_RATE_LIMIT_PER_MINUTE", get("CITYNET_RATE_LIMIT_PER_MINUTE", "600")),
            max_body_bytes=_int("CITYNET_MAX_BODY_BYTES", get("CITYNET_MAX_BODY_BYTES", "100000")),
            response_cache_size=_int("CITYNET_RESPONSE_CACHE_SIZE", get("CITYNET_RESPONSE_CACHE_SIZE", "512")),
            row_cache_size=_int("CITYNET_ROW_CACHE_SIZE", get("CITYNET_ROW_CACHE_SIZE", "1024")),
            max_subscriptions_per_connection=_int("CITYNET_MAX_SUBSCRIPTIONS_PER_CONNECTION",
                                                  get("CITYNET_MAX_SUBSCRIPTIONS_PER_CONNECTION", "20")),
            max_connections_per_identity=_int("CITYNET_MAX_CONNECTIONS_PER_IDENTITY",
                                              get("CITYNET_MAX_CONNECTIONS_PER_IDENTITY", "10")),
            ws_idle_seconds=float(get("CITYNET_WS_IDLE_SECONDS", "300")),
            live_queue_size=_int("CITYNET_LIVE_QUEUE_SIZE", get("CITYNET_LIVE_QUEUE_SIZE", "256")),
            live_max_replay=_int("CITYNET_LIVE_MAX_REPLAY", get("CITYNET_LIVE_MAX_REPLAY", "50")),
            ws_ping_seconds=float(get("CITYNET_WS_PING_SECONDS", "30")),
            ws_pong_timeout_seconds=float(get("CITYNET_WS_PONG_TIMEOUT_SECONDS", "20")),
            ws_init_seconds=float(get("CITYNET_WS_INIT_SECONDS", "5")),
            sse_keepalive_seconds=float(get("CITYNET_SSE_KEEPALIVE_SECONDS", "15")),
        ).validated()
