"""The upstream's cost beside ours: said by the upstream's answer where its dialect carries one,
else estimated from our catalog's price of the upstream model; shown by ``GET /v1/tasks/{id}``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from reelserve.api.app import create_app
from reelserve.domain import catalog
from reelserve.domain.relay import UpstreamCost
from reelserve.domain.tasks import TaskStatus
from tests.relay.conftest import Relaying
from tests.relay.upstream_server import ScriptedUpstream


async def task_detail(relay: Relaying, task_id: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=create_app(relay.container))
    headers = {"Authorization": f"Bearer {relay.secret}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers
    ) as http:
        answer = await http.get(f"/v1/tasks/{task_id}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_without_a_said_cost_the_catalog_price_is_the_estimate(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    relay = relaying()
    task = relay.submit(prompt="a harbour", duration=10, resolution="768P")
    assert relay.wait(task.id).status is TaskStatus.SUCCEEDED
    body = await task_detail(relay, task.id)
    price = catalog.MODELS["MiniMax-Hailuo-02"].price("768P", 10)
    assert price > 0
    assert body["upstream_cost_usd"] == str(price)
    assert body["upstream_cost_estimated"] is True
    assert body["cost_usd"] == str(price)  # ours, beside it


@pytest.mark.parametrize("dialect", ["minimax", "minimax-v2"])
async def test_the_upstreams_own_cost_is_recorded(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, dialect: str
) -> None:
    upstream.script.cost = "0.27"
    relay = relaying(dialect=dialect)
    task = relay.submit(prompt="a harbour", duration=6, resolution="768P")
    assert relay.wait(task.id).status is TaskStatus.SUCCEEDED, dialect
    body = await task_detail(relay, task.id)
    assert (body["upstream_cost_usd"], body["upstream_cost_estimated"]) == ("0.27", False)
    row = relay.container.relay.relay.parked.get(task.id)  # type: ignore[union-attr]
    assert row is not None and row.upstream_cost == "0.27"


async def test_a_failed_upstream_task_has_no_upstream_cost(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.outcome = "fail:1026"
    relay = relaying()
    task = relay.submit(prompt="refused")
    assert relay.wait(task.id).status is TaskStatus.FAILED
    body = await task_detail(relay, task.id)
    assert (body["upstream_cost_usd"], body["upstream_cost_estimated"]) == (None, None)


@pytest.mark.parametrize(
    ("text", "cost"),
    [
        ("0.49", UpstreamCost(Decimal("0.49"), estimated=False)),
        ("~0.49", UpstreamCost(Decimal("0.49"), estimated=True)),
        (None, None),
        ("", None),
        ("free", None),
        ("-1", None),
        ("NaN", None),
        ("0." + "1" * 40, None),  # longer than the column
    ],
)
def test_the_stored_text_round_trips(text: str | None, cost: UpstreamCost | None) -> None:
    assert UpstreamCost.parse(text) == cost
    if cost is not None:
        assert cost.stored() == text
