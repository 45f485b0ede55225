"""``reelserve_webhook_deliveries_total`` counts real delivery attempts, by outcome."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.webhooks.conftest import drain
from tests.webhooks.receiver import Receiver

from reelserve.bootstrap import Container
from reelserve.settings import Settings

pytestmark = pytest.mark.asyncio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Retries due at once, and a push given up after its second failed attempt.
    return settings.model_copy(
        update={"webhook_retry_scale": 0.0, "webhook_max_attempts": 2, "webhook_timeout_s": 0.5}
    )


async def deliveries(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    return {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "reelserve_webhook_deliveries"
        for sample in family.samples
        if sample.name == "reelserve_webhook_deliveries_total"
    }


async def test_attempts_are_counted_by_outcome_across_scrapes(
    client: httpx.AsyncClient, container: Container
) -> None:
    assert await deliveries(client) == {"delivered": 0, "retry": 0, "gave_up": 0}

    # processing: 500 then 200 (one retry, one delivered); success: 502 twice (a retry, then
    # given up on the second and last attempt).
    with Receiver(["500", "502", "502"]) as receiver:
        body = {"model": "T2V-01", "prompt": "waves", "callback_url": receiver.url}
        created = (await client.post("/v1/video_generation", json=body)).json()
        assert created["base_resp"]["status_code"] == 0, created
        container.executor("metrics").run_next()

        def settled() -> bool:
            log = container.webhooks.log(owner, created["task_id"])
            return len(log) == 2 and all(d.state != "pending" for d in log)

        owner = container.keys.authenticate(client.headers["Authorization"])
        drain(container, settled)

    assert await deliveries(client) == {"delivered": 1, "retry": 2, "gave_up": 1}
    assert await deliveries(client) == {"delivered": 1, "retry": 2, "gave_up": 1}  # not re-added
