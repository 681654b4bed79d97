"""Several processes starting at once on a new PostgreSQL database (found while benchmarking: `serve
--no-projections` and `projections run` started together, and the projector died on CREATE TABLE)."""

from __future__ import annotations

import threading

import pytest

from citynet.services.runtime import Citynet


@pytest.mark.postgres
def test_processes_starting_together_on_a_new_database_all_start(postgres_url: str) -> None:
    starters = 4
    barrier = threading.Barrier(starters)
    started: list[Citynet] = []
    failures: list[BaseException] = []

    def start() -> None:
        barrier.wait()
        try:
            started.append(Citynet(postgres_url))
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert not failures, failures
        assert len(started) == starters
        head = started[0].projections.head()
        assert all(c.projections.head() == head for c in started)
    finally:
        for c in started:
            c.close()
