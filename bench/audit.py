"""Auditors' tools at scale: rebuild, verify, export and chain verification over N events.

Each is reported in events per second next to a baseline run in the same
process on the same database: reading the whole log raw (select_notifications,
no decoding). Usage:

    uv run python bench/audit.py [--events 100000] [--store postgres|sqlite]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
import uuid
from collections.abc import Callable

import psycopg
from psycopg import sql

from citynet.domain.city import City
from citynet.services import audit_chain
from citynet.services.attribution import Actor, acting
from citynet.services.history import ExportFilter, export_lines
from citynet.services.rebuild import rebuild, verify
from citynet.services.runtime import Citynet

ADMIN_URL = os.environ.get("CITYNET_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def fill(citynet: Citynet, events: int, batch: int = 500) -> None:
    with acting(Actor("bench", "system"), "benchFill"):
        for start in range(0, events, batch):
            cities = [City.register(f"Bench City {i}", "DE", "Europe/Berlin") for i in range(start, min(start + batch, events))]
            citynet.app.save(*cities)
    citynet.projector.catch_up()


def raw_read(citynet: Citynet) -> int:
    position, count = 0, 0
    while batch := citynet.app.recorder.select_notifications(start=position, limit=1000, inclusive_of_start=False):
        count += len(batch)
        position = batch[-1].id
    return count


def run(url: str, events: int) -> None:
    citynet = Citynet(url)
    try:
        fill_s = timed(lambda: fill(citynet, events))
        n = citynet.projector.head()
        baseline = n / timed(lambda: raw_read(citynet))
        rows = [
            ("write + project (fill)", n / fill_s),
            ("projections rebuild", n / timed(lambda: rebuild(citynet))),
            ("projections verify", n / timed(lambda: verify(citynet))),
            ("events export (NDJSON)", n / timed(lambda: io.StringIO().writelines(export_lines(citynet.app, ExportFilter())))),
            ("audit verify (hash chain)", n / timed(lambda: audit_chain.verify(citynet.app.recorder, citynet.sync_engine))),
        ]
        report = verify(citynet)
        assert report.ok, report.differences[:5]
        assert audit_chain.verify(citynet.app.recorder, citynet.sync_engine).ok
    finally:
        citynet.close()
    print(f"{n} events on {url.split('://')[0]}; baseline raw log read: {baseline:,.0f} events/s")
    print(f"{'operation':<30}{'events/s':>12}{'vs raw read':>14}")
    for name, rate in rows:
        print(f"{name:<30}{rate:>12,.0f}{rate / baseline:>14.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--store", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()
    if args.store == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.sqlite3", args.events)
        return
    name = f"citynet_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        run(f"{ADMIN_URL.rpartition('/')[0]}/{name}", args.events)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
