"""Operations: health, readiness, Prometheus metrics, JSON logs with the task id, OpenAPI."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from reelserve.adapters.db.stats import SqlHealth
from reelserve.bootstrap import Container
from reelserve.logs import JsonFormatter, task_context
from reelserve_client import AsyncClient
from tests.client.conftest import run_worker


async def test_healthz_and_readyz(client: httpx.AsyncClient, container: Container) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    assert (await client.get("/readyz")).json() == {"status": "ready", "database": "ok"}
    healthy = container.health
    broken = create_engine("sqlite:////nonexistent/folder/reelserve.db")
    container.health = SqlHealth(broken)  # the readiness port over a database that cannot open
    try:
        down = await client.get("/readyz")
    finally:
        broken.dispose()
        container.health = healthy
    assert down.status_code == 503  # the driver's text is logged, not answered (issue 16 §15)
    assert down.json() == {"status": "unavailable", "database": "unavailable"}


def samples(text: str) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


async def test_metrics_count_tasks_and_durations(
    client: httpx.AsyncClient, sdk: AsyncClient, container: Container
) -> None:
    done = await sdk.create_video(model="T2V-01", prompt="a")
    await run_worker(container)
    await sdk.create_video(model="T2V-01", prompt="b")
    response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found["reelserve_tasks{status=succeeded}"] == 1
    assert found["reelserve_tasks{status=queued}"] == 1
    assert found["reelserve_queue_depth{}"] == 1
    assert found["reelserve_render_duration_seconds_count{model=T2V-01}"] == 1
    assert found["reelserve_task_duration_seconds_count{status=succeeded}"] == 1
    assert found["reelserve_webhook_deliveries_total{outcome=delivered}"] == 0  # no callbacks
    # A second scrape does not count the same finished task twice.
    again = samples((await client.get("/metrics")).text)
    assert again["reelserve_render_duration_seconds_count{model=T2V-01}"] == 1
    assert done


def test_json_logs_carry_the_task_id() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord(
        "reelserve.x", logging.INFO, "f", 1, "rendered %d frames", (150,), None
    )
    with task_context("12345"):
        line = json.loads(formatter.format(record))
    assert line["msg"] == "rendered 150 frames" and line["task_id"] == "12345"
    assert line["level"] == "INFO" and line["time"].endswith("+00:00")
    record.ms = 3.5
    assert json.loads(formatter.format(record)) | {"time": ""} == {
        "time": "",
        "level": "INFO",
        "logger": "reelserve.x",
        "msg": "rendered 150 frames",
        "ms": 3.5,
    }


async def test_access_log_names_the_task(
    client: httpx.AsyncClient, sdk: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    task_id = await sdk.create_video(model="T2V-01", prompt="x")
    with caplog.at_level(logging.INFO, logger="reelserve.access"):
        await client.get("/v1/query/video_generation", params={"task_id": task_id})
        await client.get(f"/v1/tasks/{task_id}")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    assert [line.get("task_id") for line in lines] == [task_id, task_id]
    assert lines[0]["msg"] == "GET /v1/query/video_generation 200" and "ms" in lines[0]


async def test_openapi_documents_every_route_with_a_summary(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
    for path in ("/v1/tasks", "/v1/tasks/{task_id}", "/v1/models", "/metrics", "/readyz"):
        operation = spec["paths"][path]["get"]
        content = operation["responses"]["200"]["content"]
        assert any("example" in media for media in content.values()), path
    events = spec["paths"]["/v1/tasks/{task_id}/events"]["get"]["responses"]["200"]["content"]
    assert "text/event-stream" in events


async def test_the_studio_page_and_its_assets_are_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and "reelserve studio" in page.text
    for asset in ("/ui/studio.js", "/ui/studio.css"):
        assert (await client.get(asset)).status_code == 200
    assert (await client.get("/ui/__init__.py")).status_code == 404
