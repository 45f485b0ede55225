"""Package metadata (issue 17 §17, §21): builds without setuptools deprecation warnings, and
the server declares the SDK its client commands import, at the version client/ holds."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def build(project: Path, out: Path) -> tuple[str, str, list[str]]:
    """The wheel's METADATA, the build's output and the wheel's file names."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(project), "--no-deps", "--no-build-isolation",
         "-w", str(out)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(name).decode(), done.stdout + done.stderr, archive.namelist()


def test_both_packages_build_without_deprecation_warnings(tmp_path: Path) -> None:
    server, log, files = build(ROOT, tmp_path / "server")
    assert "deprecat" not in log.lower(), log
    assert "License-Expression: Apache-2.0" in server
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"):  # /docs works offline
        assert f"reelserve/api/ui/swagger/{name}" in files
    client, log, _ = build(ROOT / "client", tmp_path / "client")
    assert "deprecat" not in log.lower(), log
    assert "License-Expression: Apache-2.0" in client


def test_the_server_requires_the_sdk_it_imports_at_its_version() -> None:
    server = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    client = tomllib.loads((ROOT / "client" / "pyproject.toml").read_text())["project"]
    assert f"{client['name']}=={client['version']}" in server["dependencies"]
    imports = (ROOT / "src" / "reelserve" / "cli_client.py").read_text()
    assert "from reelserve_client import" in imports  # the reason for the dependency
