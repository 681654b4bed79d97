"""One database URL, mapped onto what eventsourcing and SQLAlchemy each need.

Users set ``CITYNET_DATABASE_URL`` (``sqlite:///path`` or
``postgresql://user:pass@host:port/dbname``); the event store and the read
models live in that same database, so a projection can write its rows and its
position in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit


class DatabaseURLError(ValueError):
    pass


@dataclass(frozen=True)
class Storage:
    url: str
    kind: str  # "sqlite" or "postgresql"
    eventsourcing_env: dict[str, str]
    sync_url: str
    async_url: str
    sqlite_path: Path | None = None
    libpq_url: str | None = None  # for psycopg connections of our own (LISTEN, advisory locks)

    @property
    def is_sqlite(self) -> bool:
        return self.kind == "sqlite"

    def describe(self) -> str:
        """The URL without its password, for logs and the CLI."""
        parts = urlsplit(self.url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return self.url


def parse_database_url(url: str) -> Storage:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        raw = url.split("://", 1)[1]
        # sqlite:///relative/path and sqlite:////absolute/path, as SQLAlchemy.
        path_str = raw[1:] if raw.startswith("/") else raw
        if not path_str or path_str == ":memory:":
            raise DatabaseURLError(
                "citynet needs a SQLite file (sqlite:///path/to/citynet.sqlite3): "
                "an in-memory database cannot be shared by the event store and the read models"
            )
        path = Path(path_str).expanduser()
        return Storage(
            url=url,
            kind="sqlite",
            eventsourcing_env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "30",
            },
            sync_url=f"sqlite:///{path}",
            async_url=f"sqlite+aiosqlite:///{path}",
            sqlite_path=path,
        )
    if scheme in ("postgresql", "postgres"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise DatabaseURLError("a PostgreSQL URL must name a database: postgresql://user@host:5432/dbname")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_POOL_SIZE": "4",
            "POSTGRES_MAX_OVERFLOW": "8",
            "POSTGRES_PRE_PING": "y",  # replaced by a ping of idle connections only (services/idle_ping.py)
            "APPLICATION_RECORDER_TOPIC": "citynet.services.event_store:CitynetRecorder",
        }
        rest = url.split("://", 1)[1]
        return Storage(
            url=url,
            kind="postgresql",
            eventsourcing_env=env,
            sync_url=f"postgresql+psycopg://{rest}",
            async_url=f"postgresql+psycopg_async://{rest}",
            libpq_url=f"postgresql://{rest}",
        )
    raise DatabaseURLError(
        f"unsupported database URL scheme {parts.scheme!r}: use sqlite:///path or postgresql://..."
    )
