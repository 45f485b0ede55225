"""deploy/compose.yaml is copied by users: every setting it sets exists, and every reelserve
command line in it parses with the flags the CLI has today."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from reelserve.cli import app
from reelserve.settings import Settings

COMPOSE = Path(__file__).parents[2] / "deploy" / "compose.yaml"


def services() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    found: dict[str, Any] = document["services"]
    return found


def test_every_reelserve_variable_is_a_setting() -> None:
    known = {f"REELSERVE_{name.upper()}" for name in Settings.model_fields}
    used = {
        name
        for service in services().values()
        for name in (service.get("environment") or {})
        if name.startswith("REELSERVE_")
    }
    assert used and used <= known, used - known


@pytest.mark.parametrize(
    "name", [n for n, s in services().items() if "reelserve" in str(s.get("command", ""))]
)
def test_reelserve_commands_parse(name: str) -> None:
    words = shlex.split(str(services()[name]["command"]))
    assert words[0] == "reelserve"
    command = typer.main.get_command(app).commands[words[1]]  # type: ignore[attr-defined]
    context = command.make_context(words[1], words[2:], resilient_parsing=False)
    assert context.params  # parsed: an unknown flag or a bad value raises instead
