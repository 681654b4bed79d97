"""The SDL is a public contract: the committed file must match the code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from citynet.graphql.schema import SDL_PATH, export_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text() == export_sdl(), (
        "graphql/schema.graphql drifted from the code: if the change is on purpose, run "
        "`uv run citynet schema export > graphql/schema.graphql` and commit it"
    )


def test_graphql_folder_does_not_shadow_graphql_core() -> None:
    assert not (ROOT / "graphql" / "__init__.py").exists()
    out = subprocess.run(
        [sys.executable, "-c", "import graphql, strawberry; print(graphql.__file__)"],
        cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": ""},
    ).stdout.strip()
    assert "site-packages" in out and not out.startswith(str(ROOT / "graphql"))
