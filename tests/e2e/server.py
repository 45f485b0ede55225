"""A real `reelserve serve` subprocess on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REELSERVE = [sys.executable, "-m", "reelserve.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_key(data_dir: Path, name: str = "e2e") -> str:
    out = subprocess.run(
        [*REELSERVE, "keys", "create", "--name", name, "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


class Server:
    def __init__(self, data_dir: Path, port: int | None = None, **env: str) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "REELSERVE_LOG_LEVEL": "WARNING", **env}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 30.0) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            *REELSERVE,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError(f"server did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """kill -9: no clean shutdown, as in a crash."""
        kill_9(self.process)

    def stop(self) -> None:
        terminate(self.process)


def kill_9(process: subprocess.Popen[bytes] | None) -> None:
    """No clean shutdown, as in a crash."""
    if process and process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait(10)


def terminate(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM (after SIGCONT: a paused process cannot act on it); kill -9 after 15 s."""
    if process and process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            kill_9(process)
