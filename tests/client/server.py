"""A real ``reelserve serve`` subprocess on a free port, with a fresh data dir and API key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REELSERVE = str(Path(sys.executable).with_name("reelserve"))


@dataclass(frozen=True, slots=True, kw_only=True)
class RunningServer:
    url: str
    api_key: str
    data_dir: Path
    log: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSERVE_")}
    env.update(REELSERVE_DATA_DIR=str(data_dir), REELSERVE_WORKERS="1", HF_HUB_OFFLINE="1")
    env["REELSERVE_HEARTBEAT_S"] = "0.3"  # progress reaches the database every 0.3 s
    return env


@contextmanager
def running_server(tmp_path: Path) -> Iterator[RunningServer]:
    data_dir = tmp_path / "server-data"
    env = server_env(data_dir)
    created = subprocess.run(
        [REELSERVE, "keys", "create", "--name", "e2e", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    api_key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [REELSERVE, "serve", "--port", str(port), "--data-dir", str(data_dir)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"reelserve serve did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield RunningServer(url=url, api_key=api_key, data_dir=data_dir, log=log)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
