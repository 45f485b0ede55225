"""CLI tables (issue 17 §13, §18): readable at 80 columns in a terminal, plain tab-separated
lines when piped, and the price table lists only the combinations a mode allows."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from rich.console import Console
from typer.testing import CliRunner

from reelserve import cli_client
from reelserve.bootstrap import Container
from reelserve.cli import app as cli_app
from reelserve.domain import catalog
from reelserve_client import Client
from tests.client.conftest import InProcess

runner = CliRunner()


@pytest.fixture
def in_process(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def connect(server: str, api_key: str) -> Client:
        return Client(server, api_key, transport=InProcess(app))

    monkeypatch.setattr(cli_client, "_client", connect)


def terminal(monkeypatch: pytest.MonkeyPatch, width: int) -> io.StringIO:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=width, color_system=None)
    monkeypatch.setattr(cli_client, "out", console)
    return screen


def test_models_piped_lists_exactly_the_allowed_combinations() -> None:
    result = runner.invoke(cli_app, ["models"])
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert lines[0] == ["model", "mode", "resolution", "seconds", "usd", "default", "camera"]
    listed = {(m, mode, r, int(d)) for m, mode, r, d, *_ in lines[1:]}
    allowed = {
        (spec.name, mode.value, r, d)
        for spec in catalog.MODELS.values()
        for mode, matrix in spec.modes.items()
        for r, durations in matrix.items()
        for d in durations
    }
    assert listed == allowed and len(lines) - 1 == len(allowed)
    assert ("MiniMax-Hailuo-02", "t2v", "512P", 6) not in listed  # 512P is i2v only
    assert ["MiniMax-Hailuo-02", "i2v", "512P", "6", "$0.10", "768P", "yes"] in lines


def test_models_at_80_columns_keeps_every_name_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = terminal(monkeypatch, 80)
    assert runner.invoke(cli_app, ["models"]).exit_code == 0
    text = screen.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    for name in catalog.MODELS:
        assert f" {name} " in text
    assert "…" not in text


@pytest.mark.usefixtures("in_process")
def test_tasks_list_at_80_columns_and_piped(
    api_key: str, container: Container, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = Client("http://t", api_key, transport=InProcess(app))
    done = client.create_video(model="MiniMax-Hailuo-2.3", prompt="a quiet harbour at dawn " * 5)
    container.executor("w").run_next()
    common = ["tasks", "list", "--api-key", api_key, "--server", "http://t"]
    piped = runner.invoke(cli_app, common).stdout.splitlines()
    assert piped[0].split("\t") == ["task", "created", "status", "%", "model", "size", "prompt"]
    row = piped[1].split("\t")
    assert row[0] == done and row[2] == "succeeded" and row[4] == "MiniMax-Hailuo-2.3"
    assert row[6] == ("a quiet harbour at dawn " * 5).strip()  # whole, on one line
    screen = terminal(monkeypatch, 80)
    assert runner.invoke(cli_app, common).exit_code == 0
    lines = screen.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    (line,) = [line for line in lines if done in line]
    assert "succeeded" in line and "MiniMax-Hailuo-2.3 " in line and "768P 6s" in line
