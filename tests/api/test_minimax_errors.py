"""Bad input: MiniMax codes, messages that name the field and value, nothing half-written."""

from __future__ import annotations

import httpx
import pytest

from reelserve.bootstrap import Container

pytestmark = pytest.mark.asyncio


def task_count(container: Container) -> int:
    return sum(container.stats.counts().values())


async def create(client: httpx.AsyncClient, **kwargs: object) -> dict[str, object]:
    response = await client.post("/v1/video_generation", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


async def test_every_violation_is_reported_at_once(
    client: httpx.AsyncClient, container: Container
) -> None:
    body = await create(
        client,
        json={
            "model": "MiniMax-Hailuo-02",
            "duration": 10,
            "resolution": "1080P",
            "prompt": "x" * 2001,
        },
    )
    assert body["base_resp"]["status_code"] == 2013  # type: ignore[index]
    message = body["base_resp"]["status_msg"]  # type: ignore[index]
    assert message.startswith("invalid params, ")
    assert "duration: 10" in message and "1080P" in message
    assert "prompt: 2001 characters" in message
    assert task_count(container) == 0


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"model": "Nope-1", "prompt": "x"}, "unsupported model: 'Nope-1'"),
        ({"model": "MiniMax-Hailuo-2.3-Fast", "prompt": "x"}, "does not support text-to-video"),
        ({"model": "MiniMax-Hailuo-02"}, "prompt: is required"),
        (
            {"model": "MiniMax-Hailuo-02", "prompt": "x", "duration": "6"},
            "duration: '6' is not valid",
        ),
        ({"model": "MiniMax-Hailuo-02", "prompt": "x", "resolution": "4K"}, "resolution: '4K'"),
        (
            {"model": "MiniMax-Hailuo-02", "prompt": "x", "prompt_optimizer": "yes"},
            "prompt_optimizer: 'yes'",
        ),
        ({"model": 7, "prompt": "x"}, "model: 7 is not valid"),
        ({"prompt": "x"}, "model: is required"),
        (
            {"model": "MiniMax-Hailuo-02", "last_frame_image": "data:image/png;base64,AAAA"},
            "first_frame_image: is required",
        ),
        ({"model": "MiniMax-Hailuo-02", "first_frame_image": "aGVsbG8="}, "first_frame_image"),
        (
            {
                "model": "MiniMax-Hailuo-02",
                "first_frame_image": "data:image/png;base64,bm90IGFuIGltYWdl",
            },
            "first_frame_image",
        ),
    ],
)
async def test_rule_violations_answer_2013_naming_field_and_value(
    client: httpx.AsyncClient, container: Container, payload: dict[str, object], expected: str
) -> None:
    body = await create(client, json=payload)
    assert body["base_resp"]["status_code"] == 2013, body  # type: ignore[index]
    assert expected in body["base_resp"]["status_msg"]  # type: ignore[index]
    assert task_count(container) == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe", b"null"])
async def test_malformed_bodies_answer_2013(client: httpx.AsyncClient, raw: bytes) -> None:
    body = await create(client, content=raw, headers={"Content-Type": "application/json"})
    assert body["base_resp"]["status_code"] == 2013
    assert body["base_resp"]["status_msg"].startswith("invalid params, body:")


async def test_oversized_bodies_are_refused_without_reading_them(
    client: httpx.AsyncClient, container: Container
) -> None:
    container.settings.max_body_bytes = 1000
    body = await create(
        client, content=b"{" + b" " * 5000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert body["base_resp"]["status_code"] == 2013
    assert "over the limit of 1000 bytes" in body["base_resp"]["status_msg"]


async def test_unknown_fields_are_ignored_and_stray_spaces_tolerated(
    client: httpx.AsyncClient, container: Container
) -> None:
    body = await create(
        client,
        json={
            "model": "MiniMax-Hailuo-02",
            "prompt": "x",
            "prompt_optimizer ": False,
            "aspect_ratio": "9:16",
            "GroupId": "1",
        },
    )
    assert body["base_resp"]["status_code"] == 0
    task = container.repository.get(body["task_id"])  # type: ignore[arg-type]
    assert task is not None and task.prompt_optimizer is False
    assert (task.width, task.height) == (1366, 768)


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong", "Basic abc", "rs_123"])
async def test_missing_or_wrong_key_answers_1004_or_2049_on_create(
    client: httpx.AsyncClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    client.headers.pop("Authorization")
    for request in (
        client.post(
            "/v1/video_generation", json={"model": "T2V-01", "prompt": "x"}, headers=headers
        ),
        client.get("/v1/query/video_generation", params={"task_id": "1"}, headers=headers),
        client.get("/v1/files/retrieve", params={"file_id": "1"}, headers=headers),
    ):
        response = await request
        assert response.status_code == 200
        create = response.request.method == "POST"
        # MINIMAX_API.md §8: create answers 2049 for a well-formed Bearer key that is unknown
        expected = 2049 if create and header == "Bearer wrong" else 1004
        assert response.json()["base_resp"]["status_code"] == expected


async def test_revoked_key_answers_1004(client: httpx.AsyncClient, container: Container) -> None:
    container.keys.revoke("test")
    body = await create(client, json={"model": "T2V-01", "prompt": "x"})
    assert body["base_resp"] == {
        "status_code": 1004,
        "status_msg": "authentication failed, API key revoked",
    }


async def test_unknown_and_foreign_ids_answer_not_found(
    client: httpx.AsyncClient, container: Container, other_key: str
) -> None:
    mine = (await create(client, json={"model": "T2V-01", "prompt": "x"}))["task_id"]
    for task_id in ("123", "abc", mine):
        headers = {"Authorization": f"Bearer {other_key}"} if task_id == mine else {}
        body = (
            await client.get(
                "/v1/query/video_generation", params={"task_id": task_id}, headers=headers
            )
        ).json()
        assert body["base_resp"]["status_code"] == 2013
        assert f"task not found: '{task_id}'" in body["base_resp"]["status_msg"]
    body = (await client.get("/v1/query/video_generation")).json()
    assert body["base_resp"] == {
        "status_code": 2013,
        "status_msg": "invalid params, task_id: is required",
    }
    for file_id in ("999", "x1"):
        body = (await client.get("/v1/files/retrieve", params={"file_id": file_id})).json()
        assert body["base_resp"]["status_code"] == 2013


async def test_another_keys_file_is_unreachable(
    client: httpx.AsyncClient, container: Container, other_key: str
) -> None:
    task_id = (await create(client, json={"model": "T2V-01", "prompt": "x"}))["task_id"]
    container.executor("w").run_next()
    file_id = container.repository.get(task_id).file_id  # type: ignore[arg-type, union-attr]
    foreign = {"Authorization": f"Bearer {other_key}"}
    for path in ("/v1/files/retrieve", "/v1/files/retrieve_content"):
        body = (await client.get(path, params={"file_id": file_id}, headers=foreign)).json()
        assert body["base_resp"]["status_code"] == 2013
