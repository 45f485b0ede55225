"""The edges of the wire (issue 17 §2, 4, 5, 6, 8): errors never escape the app, every answer
carries a Trace-Id, routing errors speak the dialect, HEAD works on the file routes."""

from __future__ import annotations

import logging

import httpx
import pytest

from reelserve.bootstrap import Container

pytestmark = pytest.mark.asyncio


async def finished_task(client: httpx.AsyncClient, container: Container) -> str:
    body = (
        await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "A cat"})
    ).json()
    container.executor("w").run_next()
    return str(body["task_id"])


async def test_an_unexpected_error_is_answered_and_does_not_escape_the_app(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """httpx.ASGITransport re-raises what escapes the app, as uvicorn would drop the socket."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(container.tasks, "get", broken)
    response = await client.get("/v1/query/video_generation", params={"task_id": "1"})
    assert response.status_code == 200
    assert response.json()["base_resp"]["status_code"] == 1013
    assert "disk on fire" not in response.text
    assert response.headers["trace-id"]
    view = await client.get("/model/v1/generation/task/1")
    assert view.status_code == 500 and view.json()["error"]["code"] == 1013


async def test_every_answer_carries_a_trace_id_that_the_access_log_names(
    client: httpx.AsyncClient, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="reelserve.access")
    from reelserve.logs import JsonFormatter

    answers = [
        await client.get("/healthz"),
        await client.post("/v1/video_generation", json={"model": "nope"}),
        await client.get("/nope"),
        await client.get("/v1/query/video_generation", params={"task_id": "1"}),
    ]
    ids = [a.headers["trace-id"] for a in answers]
    assert all(len(i) == 32 for i in ids) and len(set(ids)) == len(ids)
    logged = [JsonFormatter().format(r) for r in caplog.records if r.name == "reelserve.access"]
    for trace_id in ids:
        assert sum(f'"trace_id": "{trace_id}"' in line for line in logged) == 1


async def test_a_wrong_key_on_create_is_2049_and_1004_elsewhere(client: httpx.AsyncClient) -> None:
    wrong = {"Authorization": "Bearer rs_not-a-key"}
    body = (
        await client.post(
            "/v1/video_generation", json={"model": "T2V-01", "prompt": "x"}, headers=wrong
        )
    ).json()
    assert body["base_resp"] == {"status_code": 2049, "status_msg": "invalid api key"}
    body = (
        await client.get("/v1/query/video_generation", params={"task_id": "1"}, headers=wrong)
    ).json()
    assert body["base_resp"] == {
        "status_code": 1004,
        "status_msg": "authentication failed, invalid API key",
    }
    missing = await client.post(
        "/v1/video_generation",
        json={"model": "T2V-01", "prompt": "x"},
        headers={"Authorization": ""},
    )
    assert missing.json()["base_resp"]["status_code"] == 1004


async def test_unknown_paths_and_methods_answer_in_the_dialects_shape(
    client: httpx.AsyncClient,
) -> None:
    for prefix in ("", "/minimax"):
        response = await client.get(f"{prefix}/v1/nope")
        assert response.status_code == 200
        assert response.json() == {
            "base_resp": {
                "status_code": 2013,
                "status_msg": f"invalid params, path: '{prefix}/v1/nope' is not a route of this server",
            }
        }
    response = await client.delete("/v1/video_generation")
    assert response.status_code == 200 and response.headers["allow"] == "POST"
    assert response.json()["base_resp"]["status_msg"] == (
        "invalid params, method: DELETE is not allowed on /v1/video_generation (allowed: POST)"
    )
    response = await client.get("/elsewhere")
    assert response.status_code == 404 and "detail" not in response.json()
    assert response.json()["base_resp"]["status_code"] == 2013
    response = await client.get("/model/v1/generation/nope/1")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == 2013


async def test_a_trailing_slash_reads_as_the_path_without_it(
    client: httpx.AsyncClient, container: Container
) -> None:
    created = await client.post(
        "/v1/video_generation/", json={"model": "T2V-01", "prompt": "A cat"}
    )
    assert created.status_code == 200 and created.json()["base_resp"]["status_code"] == 0
    query = await client.get(
        "/v1/query/video_generation/", params={"task_id": created.json()["task_id"]}
    )
    assert query.status_code == 200 and query.json()["status"] == "Queueing"


async def test_head_works_on_retrieve_content_and_download_urls(
    client: httpx.AsyncClient, container: Container
) -> None:
    task_id = await finished_task(client, container)
    file_id = (await client.get("/v1/query/video_generation", params={"task_id": task_id})).json()[
        "file_id"
    ]
    got = await client.get("/v1/files/retrieve_content", params={"file_id": file_id})
    head = await client.head("/v1/files/retrieve_content", params={"file_id": file_id})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == "video/mp4"
    url = (await client.get("/v1/files/retrieve", params={"file_id": file_id})).json()["file"][
        "download_url"
    ]
    head = await client.head(url)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(got.content))


async def test_the_gateway_view_shows_only_the_keys_of_its_state(
    client: httpx.AsyncClient, container: Container
) -> None:
    """Seed 002: ``output`` and ``usage`` when completed, ``error`` when failed."""
    created = (
        await client.post(
            "/model/v1/generation",
            json={"model": "minimax_hailuo_02", "input": [{"params": {"prompt": "A cat"}}]},
        )
    ).json()
    assert created["status"] == "pending"
    assert not {"output", "usage", "error"} & set(created)
    container.executor("w").run_next()
    done = (await client.get(f"/model/v1/generation/task/{created['id']}")).json()
    assert done["status"] == "completed" and "error" not in done
    assert done["output"][0]["content"][0]["type"] == "video" and done["usage"]["cost"]
    refused = await client.post(
        "/model/v1/generation",
        json={"model": "minimax_hailuo_02_i2v", "input": [{"params": {"prompt": "A cat"}}]},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["error_message"] == (
        "invalid params, first_frame_image: is required for model "
        "'minimax_hailuo_02_i2v' (an image-to-video model)"
    )


async def test_the_access_line_names_the_client_address_and_the_key_id(
    client: httpx.AsyncClient, container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="reelserve.access")
    await client.get("/v1/query/video_generation", params={"task_id": "1"})
    (record,) = [r for r in caplog.records if r.name == "reelserve.access"]
    key = container.keys.all()[0]
    assert record.__dict__["key_id"] == key.id
    assert record.__dict__["client"] == "127.0.0.1"


async def test_unknown_paths_under_openai_and_v2_answer_in_their_shapes(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/videos/video_1/nope")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and "base_resp" not in response.json()
    assert "'/v1/videos/video_1/nope' is not a route" in error["message"]
    response = await client.put("/v1/videos")
    assert response.status_code == 405 and "POST" in response.headers["allow"]
    assert "method: PUT is not allowed" in response.json()["error"]["message"]
    response = await client.get("/v2/nope")
    assert response.status_code == 404
    body = response.json()
    assert body["type"] == "error" and "'/v2/nope' is not a route" in body["error"]["message"]
    response = await client.get("/v1/videosx")  # another path, not OpenAI's
    assert response.status_code == 200 and response.json()["base_resp"]["status_code"] == 2013
