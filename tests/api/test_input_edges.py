"""Inputs that once raised inside the app (a server error), and the messages of parameter errors.

``str.isdigit`` accepts "²" and "٣", which ``int()`` refuses; ``int()`` and ``json.loads`` refuse
integers of more than 4300 digits; ``json.loads`` overflows the stack on deep nesting;
``hmac.compare_digest`` raises on non-ASCII text (tests/api/test_isolation.py); a stored file may
be gone under its record. Each now answers with the dialect's usual error, naming the field and
the value.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reelserve.bootstrap import Container

pytestmark = pytest.mark.asyncio

ODD_DIGITS = ["²", "٣٤", "1" * 5000]


def status(answer: httpx.Response) -> tuple[int, int, str]:
    body = answer.json()
    return answer.status_code, body["base_resp"]["status_code"], body["base_resp"]["status_msg"]


@pytest.mark.parametrize("value", ODD_DIGITS)
@pytest.mark.parametrize("path", ["/v1/files/retrieve", "/v1/files/retrieve_content"])
async def test_file_ids_of_odd_digits_are_invalid_params(
    client: httpx.AsyncClient, path: str, value: str
) -> None:
    code, base, message = status(await client.get(path, params={"file_id": value}))
    assert (code, base) == (200, 2013)
    assert message.startswith("invalid params, file_id: '") and "not a valid file id" in message


@pytest.mark.parametrize("value", ODD_DIGITS)
async def test_cursors_of_odd_digits_are_invalid_params(
    client: httpx.AsyncClient, value: str
) -> None:
    code, base, message = status(await client.get("/v1/tasks", params={"cursor": value}))
    assert (code, base) == (200, 2013) and "cursor: '" in message


@pytest.mark.parametrize("resume", ODD_DIGITS)
async def test_an_odd_last_event_id_replays_from_the_start(
    client: httpx.AsyncClient, resume: str
) -> None:
    created = await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "x"})
    task_id = created.json()["task_id"]
    await client.post(f"/v1/tasks/{task_id}/cancel")
    # Header bytes are read as Latin-1 by the server: "²" arrives as "²"; "٣٤" cannot.
    header = resume.encode("latin-1", errors="replace")
    for answer in (
        await client.get(f"/v1/tasks/{task_id}/events", headers={"Last-Event-ID": header}),
        await client.get(f"/v1/tasks/{task_id}/events", params={"last_event_id": resume}),
    ):
        assert answer.status_code == 200
        assert "event: done" in answer.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"limit": "500"}, "limit: '500' is not valid (expected less than or equal to 100)"),
        ({"limit": "0"}, "limit: '0' is not valid (expected greater than or equal to 1)"),
        ({"limit": "ten"}, "limit: 'ten' is not valid (expected valid integer"),
    ],
)
async def test_parameter_errors_name_the_field_and_the_value(
    client: httpx.AsyncClient, params: dict[str, str], expected: str
) -> None:
    code, base, message = status(await client.get("/v1/tasks", params=params))
    assert (code, base) == (200, 2013) and expected in message


async def test_redeliver_body_errors_name_the_field_and_the_value(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "x"})
    path = f"/v1/tasks/{created.json()['task_id']}/deliveries/redeliver"
    for body, expected in (
        ({"webhook_id": 5}, "webhook_id: 5 is not valid (expected valid string)"),
        ({"nope": 1}, "nope: is not a known field"),
    ):
        code, base, message = status(await client.post(path, json=body))
        assert (code, base) == (200, 2013) and expected in message, message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"model": "T2V-01", "duration": ' + b"6" * 5000 + b"}", "body: not valid JSON (Exceeds"),
        (b"[" * 20_000 + b"]" * 20_000, "body: JSON nested too deeply"),
        (b"\x00", "body: not valid JSON"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/v1/video_generation", "/v1/tasks/1/deliveries/redeliver", "/model/v1/generation"]
)
async def test_bodies_json_cannot_read_are_invalid_params(
    client: httpx.AsyncClient, raw: bytes, expected: str, path: str
) -> None:
    answer = await client.post(path, content=raw, headers={"Content-Type": "application/json"})
    if path.startswith("/model/"):  # the gateway's dialect: HTTP 400 and an error object
        assert answer.status_code == 400
        assert expected in answer.json()["error"]["error_message"]
        return
    code, base, message = status(answer)
    assert (code, base) == (200, 2013) and expected in message, message


async def test_a_file_removed_from_storage_is_not_found(
    client: httpx.AsyncClient, container: Container
) -> None:
    created = await client.post("/v1/video_generation", json={"model": "T2V-01", "prompt": "x"})
    task_id = created.json()["task_id"]
    await asyncio.to_thread(container.executor("edges").run_next)
    task = container.repository.get(task_id)
    assert task is not None and task.file_id
    file_id = task.file_id
    url = (await client.get("/v1/files/retrieve", params={"file_id": file_id})).json()["file"][
        "download_url"
    ]
    record = container.tasks.get_file(None, file_id)
    assert record is not None
    container.files.delete(record.storage_key)  # an operator cleaned the disk by hand

    assert (await client.get(url)).status_code == 404
    code, base, message = status(
        await client.get("/v1/files/retrieve_content", params={"file_id": file_id})
    )
    assert (code, base) == (200, 2013) and f"file not found: '{file_id}'" in message
