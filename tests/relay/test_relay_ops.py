"""readyz reports an upstream that refused our key; /metrics counts relayed tasks, status calls
and crash-window resubmits."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from reelserve.api.app import create_app
from reelserve.domain.tasks import TaskStatus
from tests.relay.conftest import Relaying
from tests.relay.upstream_server import ScriptedUpstream


async def test_readyz_and_metrics(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    relay = relaying()
    transport = httpx.ASGITransport(app=create_app(relay.container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/readyz")).json() == {"status": "ready", "database": "ok"}
        assert relay.wait(relay.submit(prompt="fine").id).status is TaskStatus.SUCCEEDED
        upstream.script.create_faults = ["1004"]
        assert relay.wait(relay.submit(prompt="refused").id).status is TaskStatus.FAILED
        ready = (await http.get("/readyz")).json()
        assert ready["status"] == "degraded"
        assert "RELAY_TEST_UPSTREAM_KEY" in ready["upstreams"]["fake"]
        metrics = (await http.get("/metrics")).text
    assert 'reelserve_relay_tasks{state="done",upstream="fake"} 1.0' in metrics
    assert 'reelserve_relay_tasks{state="failed",upstream="fake"} 1.0' in metrics
    assert 'reelserve_relay_status_calls_total{upstream="fake"} 3.0' in metrics
    assert 'reelserve_relay_crash_window_resubmits_total{upstream="fake"} 0.0' in metrics
