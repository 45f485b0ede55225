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
        ready = {"status": "ready", "database": "ok", "storage": "ok"}
        assert (await http.get("/readyz")).json() == ready
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


async def test_the_hint_route_echoes_challenges_and_takes_pushes_as_hints(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.outcome = "never"
    relay = relaying(poll_interval_s=600)
    task = relay.submit(prompt="hinted")
    relay.wait(task.id, until=lambda t: upstream.status_calls >= 1)
    (upstream_id,) = upstream.tasks
    transport = httpx.ASGITransport(app=create_app(relay.container))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        route = "/v1/relay/hints/fake"
        assert (await http.post(route, json={"challenge": "abc"})).json() == {"challenge": "abc"}
        unknown = (await http.post(route, json={"task_id": "999"})).json()
        assert unknown["found"] is False
        assert (await http.post("/v1/relay/hints/nope", json={"task_id": upstream_id})).json()[
            "found"
        ] is False
        upstream.tasks[upstream_id].outcome, upstream.tasks[upstream_id].polls_left = "success", 0
        pushed = await http.post(route, json={"task_id": upstream_id, "status": "success"})
        assert pushed.json()["found"] is True
    assert relay.wait(task.id).status is TaskStatus.SUCCEEDED  # 600 s poll: only the hint
