"""The benchmarks keep running (tiny sizes): a ruler that rots measures nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
@pytest.mark.parametrize("args", [["bench/run.py", "--reads", "3", "--writes", "3"],
                                  ["bench/audit.py", "--events", "300"],
                                  ["bench/projections.py", "--events", "300", "--seconds", "1", "--rounds", "1",
                                   "--samples", "10"]])
def test_benchmark_runs(args: list[str], postgres_url: str) -> None:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "ratio" in result.stdout or "vs raw read" in result.stdout


@pytest.mark.postgres
def test_read_benchmark_runs(postgres_url: str) -> None:
    import shutil

    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (apt-get install -y wrk)")
    result = subprocess.run([sys.executable, "bench/reads.py", "--seconds", "1", "--rounds", "1"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "If-None-Match" in result.stdout and "ratio" in result.stdout
