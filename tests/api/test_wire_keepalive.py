"""A keep-alive connection survives an internal error under uvicorn (issue 17 §2)."""

from __future__ import annotations

import http.client
import threading
import time

import pytest
import uvicorn
from tests.e2e.server import free_port

from reelserve.api.app import create_app
from reelserve.bootstrap import Container


def test_a_keep_alive_connection_survives_an_internal_error(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under uvicorn: the answer to a failing request, then a second request on the same socket
    (issue 17 §2: the socket used to be dropped, so a pooled client's next request failed)."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(container.tasks, "get", broken)
    key = container.keys.create("keepalive").secret
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(container), port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(
            "GET",
            "/v1/query/video_generation?task_id=1",
            headers={"Authorization": f"Bearer {key}"},
        )
        first = conn.getresponse()
        assert b'"status_code":1013' in first.read()
        assert first.getheader("connection") != "close"
        conn.request("GET", "/healthz")  # the same socket: no reconnect in between
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        server.should_exit = True
        thread.join(10)
