"""`reelserve serve` options as a real process (issue 17 §10, §16; issue 16 §9, §11, §13):
HTTPS served directly, download URLs in the client's scheme, header timeout and connection
limit, JSON log lines only, and a refusal to start with a weak signing secret."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme
from tests.e2e.server import REELSERVE, Server, create_key, free_port, terminate

pytestmark = pytest.mark.slow


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, **client: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1, **client).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise TimeoutError(log.read_text()[-2000:])


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, ssl.SSLContext, str]]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_pem.write_to_path(str(keyfile))
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for blob in cert.cert_chain_pems[1:]:
        blob.write_to_path(str(certfile), append=True)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    data_dir, port = tmp_path / "data", free_port()
    data_dir.mkdir()
    key = create_key(data_dir)
    log = tmp_path / "tls.log"
    command = [
        *REELSERVE, "serve", "--port", str(port), "--data-dir", str(data_dir),
        "--ssl-certfile", str(certfile), "--ssl-keyfile", str(keyfile),
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out)
    url = f"https://127.0.0.1:{port}"
    try:
        wait_ready(url, process, log, verify=context)
        yield url, context, key
    finally:
        terminate(process)


def test_https_served_directly_hands_out_https_download_urls(
    tls_server: tuple[str, ssl.SSLContext, str],
) -> None:
    url, context, key = tls_server
    with httpx.Client(
        base_url=url, verify=context, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        task_id = http.post(
            "/v1/video_generation", json={"model": "T2V-01", "prompt": "A cat", "duration": 6}
        ).json()["task_id"]
        deadline = time.monotonic() + 120
        while (query := http.get("/v1/query/video_generation", params={"task_id": task_id}).json())[
            "status"
        ] != "Success":
            assert query["status"] != "Fail" and time.monotonic() < deadline, query
            time.sleep(0.3)
        file = http.get("/v1/files/retrieve", params={"file_id": query["file_id"]}).json()["file"]
        assert file["download_url"].startswith(f"{url}/v1/files/download/")
        video = httpx.get(file["download_url"], verify=context, timeout=30)
        assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    with pytest.raises(httpx.HTTPError):  # plain http on the TLS port is no answer
        httpx.get(url.replace("https", "http") + "/healthz", timeout=5)


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[Server]:
    server = Server(
        tmp_path / "data",
        REELSERVE_HEADER_TIMEOUT_S="1",
        REELSERVE_MAX_CONNECTIONS="4",
        REELSERVE_LOG_LEVEL="INFO",
        REELSERVE_WORKERS="0",
    )
    server.log = tmp_path / "stdout.log"
    server.start()
    yield server
    server.stop()


def half_request(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # the headers never end
    return sock


def test_a_connection_that_never_finishes_its_headers_is_closed(plain: Server) -> None:
    sock = half_request(plain.port)
    try:
        assert sock.recv(1024) == b""  # closed by the server (a timeout here raises instead)
    finally:
        sock.close()


def test_connections_over_the_limit_get_503(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data", REELSERVE_HEADER_TIMEOUT_S="60", REELSERVE_MAX_CONNECTIONS="3"
    ).start()
    held = [half_request(server.port) for _ in range(3)]
    try:
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 503
    finally:
        for sock in held:
            sock.close()
        server.stop()
    assert b"closing" not in server.log.read_bytes()


def test_a_proxied_request_without_a_public_url_is_warned_about_in_json_lines(
    plain: Server, tmp_path: Path
) -> None:
    key = create_key(plain.data_dir, "proxy")
    headers = {"Authorization": f"Bearer {key}", "X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=plain.url, headers=headers) as http:
        created = http.post(
            "/model/v1/generation",
            json={"model": "minimax_hailuo_02", "input": [{"params": {"prompt": "A cat"}}]},
        )
        assert created.status_code == 200 and created.json()["status"] == "pending"
    terminate(plain.process)
    lines = [line for line in plain.log.read_text().splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert any("REELSERVE_PUBLIC_URL is not set" in r["msg"] for r in records)
    assert any(r["logger"].startswith("uvicorn") for r in records)  # uvicorn's lines too


def test_every_log_line_on_stderr_is_json_and_plain_http_is_warned_about(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    port = free_port()
    env = {**os.environ, "REELSERVE_LOG_LEVEL": "INFO", "REELSERVE_WORKERS": "0"}
    command = [*REELSERVE, "serve", "--host", "0.0.0.0", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    out, err = tmp_path / "out.log", tmp_path / "err.log"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)
    try:
        wait_ready(f"http://127.0.0.1:{port}", process, err)
        httpx.get(f"http://127.0.0.1:{port}/nope")
    finally:
        terminate(process)
    lines = [line for line in err.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # fails on any plain-text line
    loggers = {r["logger"] for r in records}
    assert "uvicorn.error" in loggers and "reelserve.access" in loggers
    # plain http on every interface without a public URL is warned about at start-up
    assert any("without REELSERVE_PUBLIC_URL" in r["msg"] for r in records)


@pytest.mark.parametrize("secret", ["", "short"])
def test_the_server_refuses_to_start_with_a_weak_secret(tmp_path: Path, secret: str) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = {**os.environ, "REELSERVE_SECRET_KEY": secret}
    command = [*REELSERVE, "serve", "--port", str(free_port()), "--data-dir", str(data_dir)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "REELSERVE_SECRET_KEY" in done.stderr and "at least 32" in done.stderr
    (data_dir / "secret.key").write_text("\n")  # an empty file, as a bad copy leaves it
    env.pop("REELSERVE_SECRET_KEY")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "secret.key: the signing secret is 0 bytes" in done.stderr
