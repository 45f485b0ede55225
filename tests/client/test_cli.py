"""``reelserve generate`` and ``reelserve tasks``: in-process for errors, a real server e2e."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from reelserve import cli_client
from reelserve.bootstrap import Container
from reelserve.cli import app as cli_app
from reelserve_client import Client
from tests.client.conftest import InProcess, probe
from tests.client.server import REELSERVE, running_server, server_env

runner = CliRunner()


@pytest.fixture
def in_process(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def connect(server: str, api_key: str) -> Client:
        return Client(server, api_key, transport=InProcess(app), poll_interval=0.05)

    monkeypatch.setattr(cli_client, "_client", connect)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli_app, list(args), env={"COLUMNS": "160"})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("in_process")
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--duration", "10", "--resolution", "1080P"], "error: invalid params, duration: 10"),
        (["--model", "Nope-9"], "error: invalid params, unsupported model: 'Nope-9'"),
        (
            ["--first-frame", "missing.png"],
            "error: invalid params, first_frame_image: no such file",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_1(api_key: str, args: list[str], line: str) -> None:
    code, out, err = invoke(
        "generate", "a cat", "--api-key", api_key, "--server", "http://t", *args
    )
    assert code == 1 and out == ""
    assert err.startswith(line) and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.usefixtures("in_process")
def test_a_wrong_key_names_the_problem() -> None:
    code, _, err = invoke("tasks", "list", "--api-key", "rs_nope", "--server", "http://t")
    assert code == 1
    assert err == "error: authentication failed, invalid API key (code 1004)\n"


@pytest.mark.usefixtures("in_process")
def test_debug_shows_the_traceback(api_key: str) -> None:
    result = runner.invoke(
        cli_app, ["tasks", "show", "77", "--api-key", api_key, "--server", "http://t", "--debug"]
    )
    assert result.exit_code == 1 and type(result.exception).__name__ == "InvalidParams"


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    code, _, err = invoke("tasks", "list", "--api-key", "k", "--server", "http://127.0.0.1:9")
    assert code == 1 and err.startswith("error: cannot reach http://127.0.0.1:9")


@pytest.mark.usefixtures("in_process")
def test_tasks_list_show_cancel(api_key: str, container: Container, app: FastAPI) -> None:
    client = Client("http://t", api_key, transport=InProcess(app))
    done = client.create_video(model="T2V-01", prompt="a quiet harbour at dawn")
    container.executor("w").run_next()
    queued = client.create_video(model="T2V-01", prompt="second")
    common = ["--api-key", api_key, "--server", "http://t"]
    code, out, _ = invoke("tasks", "list", *common)
    assert code == 0 and done in out and queued in out and "succeeded" in out
    code, out, _ = invoke("tasks", "show", done, *common)
    assert code == 0 and "a quiet harbour at dawn" in out and "file_id" in out
    assert invoke("tasks", "cancel", queued, *common)[1] == f"task {queued} cancelled\n"
    assert invoke("tasks", "cancel", done, *common)[1] == (
        f"task {done} already succeeded; nothing to cancel\n"
    )
    code, out, _ = invoke("tasks", "list", "--status", "cancelled", "--json", *common)
    assert code == 0 and queued in out and done not in out


@pytest.mark.slow
def test_generate_against_a_running_server(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        env = {**server_env(server.data_dir), "REELSERVE_URL": server.url}
        env["REELSERVE_API_KEY"] = server.api_key
        target = tmp_path / "out.mp4"
        done = subprocess.run(
            [REELSERVE, "generate", "A lighthouse at dusk", "--model", "T2V-01",
             "--resolution", "720P", "--duration", "6", "-o", str(target)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"saved {target} (1280×720")
        assert "rendering" in done.stderr or "done" in done.stderr
        assert probe(target) == (1280, 720, 150)

        bad = subprocess.run(
            [REELSERVE, "generate", "x", "--duration", "10", "--resolution", "1080P"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert bad.returncode == 1 and "Traceback" not in bad.stderr
        assert bad.stderr.strip().startswith("error: invalid params, duration: 10")


@pytest.mark.slow
def test_the_event_stream_of_a_running_task_over_http(tmp_path: Path) -> None:
    with running_server(tmp_path) as server, Client(server.url, server.api_key) as client:
        task_id = client.create_video(model="MiniMax-Hailuo-02", prompt="Waves [Truck left]")
        events = list(client.events(task_id))
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(set(ids)) and events[-1]["event"] == "done"
    phases = [e["data"]["phase"] for e in events]
    assert "rendering" in phases and events[-1]["data"]["status"] == "succeeded"
    rendering = [e["data"]["progress"] for e in events if e["data"]["phase"] == "rendering"]
    assert len(rendering) >= 2 and 0 < rendering[0] < rendering[-1] < 100
