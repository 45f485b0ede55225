"""What an answer may reveal (issue 16 §15): metrics behind an optional token, readiness and
failed tasks in generic words, a client's huge value clipped when quoted."""

from __future__ import annotations

import httpx
import pytest

from reelserve.adapters.engines.preview.engine import PreviewEngine
from reelserve.bootstrap import Container

pytestmark = pytest.mark.asyncio


async def test_metrics_need_the_token_when_one_is_set(
    client: httpx.AsyncClient, container: Container
) -> None:
    assert (await client.get("/metrics")).status_code == 200  # no token set: open, as before
    container.settings.metrics_token = "scrape-me"
    for header in (
        None,
        "Bearer nope",
        "Basic scrape-me",
        f"Bearer {client.headers['authorization']}",
    ):
        headers = {"Authorization": header} if header else {"Authorization": ""}
        response = await client.get("/metrics", headers=headers)
        assert response.status_code == 401 and "reelserve_" not in response.text
        assert response.headers["www-authenticate"] == "Bearer"
    response = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert response.status_code == 200 and "reelserve_queue_depth" in response.text


async def test_readiness_says_unavailable_without_the_drivers_text(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse() -> str:
        return "OperationalError: password authentication failed for user 'ops' at db.internal"

    monkeypatch.setattr(container.health, "problem", refuse)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}


async def test_a_failed_task_shows_no_engine_internals(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise MemoryError(
            "OpenCV(4.10.0) /io/opencv/modules/core/src/alloc.cpp:73: error: (-4:Insufficient "
            "memory) Failed to allocate 30000000000 bytes in function 'OutOfMemoryError'"
        )

    monkeypatch.setattr(PreviewEngine, "generate", explode)
    task_id = (
        await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "A cat"})
    ).json()["task_id"]
    container.executor("w").run_next()
    body = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()
    assert body["status"] == "Fail"
    assert body["base_resp"] == {
        "status_code": 1000,
        "status_msg": "unknown error, generation failed (an internal engine error; retry later)",
    }


async def test_a_huge_model_value_is_clipped_in_the_answer(client: httpx.AsyncClient) -> None:
    model = "M" * 5_000_000
    response = await client.post("/v1/video_generation", json={"model": model, "prompt": "x"})
    message = response.json()["base_resp"]["status_msg"]
    assert response.json()["base_resp"]["status_code"] == 2013
    assert "unsupported model: 'MMMM" in message and len(message) < 1000


async def test_the_studio_sends_a_csp_no_framing_and_nosniff(client: httpx.AsyncClient) -> None:
    for path in ("/", "/ui/studio.js", "/ui/studio.css", "/ui/missing.js"):
        headers = (await client.get(path)).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"


async def test_the_docs_page_loads_swagger_ui_from_the_server_itself(
    client: httpx.AsyncClient,
) -> None:
    """Offline, /docs must not be blank (issue 17 §12): no asset comes from elsewhere."""
    import re

    page = await client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/docs/assets/") for s in sources), sources
    assert "'/openapi.json'" in page.text or '"/openapi.json"' in page.text
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200 and len(asset.content) > 500, source
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert b"SwaggerUIBundle" in script.content
    assert (await client.get("/docs/assets/LICENSE")).status_code == 404
    assert (await client.get("/redoc")).status_code == 404  # ReDoc loads from a CDN: not offered
