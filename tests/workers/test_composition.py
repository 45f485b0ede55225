"""The cheap core: `keys` and `migrate` never read the engine registry nor import torch, even
when the registry preloads weights that are not there; the server reads it at start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REGISTRY = """
[pipelines.big]
family = "wan"
weights = "{weights}"
preload = true

[models."MiniMax-Hailuo-02"]
engine = "diffusers"
t2v = "big"
"""

PROBE = """
import sys
from reelserve.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    print("heavy:", sorted(m for m in ("torch", "diffusers", "transformers") if m in sys.modules))
"""


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    registry = tmp_path / "engines.toml"
    registry.write_text(REGISTRY.format(weights=tmp_path / "no-such-weights"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSERVE_")}
    env.update(REELSERVE_DATA_DIR=str(tmp_path / "data"), REELSERVE_ENGINE_REGISTRY=str(registry))
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args", [("migrate",), ("keys", "create", "--name", "ops"), ("keys", "list")]
)
def test_key_and_migrate_commands_skip_the_engines(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run(tmp_path, *args)
    assert result.returncode == 0, result.stderr
    assert "heavy: []" in result.stdout


def test_keys_list_shows_a_key_despite_the_broken_registry(tmp_path: Path) -> None:
    assert run(tmp_path, "keys", "create", "--name", "ops").returncode == 0
    listed = run(tmp_path, "keys", "list")
    assert listed.returncode == 0 and "ops" in listed.stdout, listed.stderr


def test_the_worker_reads_the_registry_and_names_the_fault(tmp_path: Path) -> None:
    result = run(tmp_path, "worker")
    assert result.returncode != 0
    assert "no-such-weights" in result.stderr.replace("\n", "")  # the console wraps long paths
