"""The writes baseline: bare eventsourcing `Application.save` of an aggregate equivalent to a city, on
PostgreSQL, with no citynet code. bench/projections.py saves with it from 8 threads; bench/floor_app.py
saves with it behind the same HTTP stack as citynet."""

from __future__ import annotations

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate


class BenchCity(Aggregate):
    def __init__(self, name: str, country_code: str, time_zone: str) -> None:
        self.name, self.country_code, self.time_zone = name, country_code, time_zone


def bare_application(url: str, pool: str = "8") -> Application:
    """An Application on the PostgreSQL database at ``url`` (a pool of 8, as many as the clients)."""
    user_host, _, dbname = url.split("://", 1)[1].rpartition("/")
    host, _, port = user_host.split("@")[-1].partition(":")
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": dbname,
                            "POSTGRES_HOST": host, "POSTGRES_PORT": port or "5432", "POSTGRES_USER": "postgres",
                            "POSTGRES_PASSWORD": "", "POSTGRES_POOL_SIZE": pool, "POSTGRES_MAX_OVERFLOW": pool})
