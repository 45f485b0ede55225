"""Inputs an outside wire audit sent (issue 17 §1, 6, 7, 9; issue 16 §12): each is a 2013 naming
the field, or is accepted as typed clients mean it; never a 1013 or a dropped connection."""

from __future__ import annotations

import json

import httpx
import pytest
from tests.conftest import png_data_url

from reelserve.bootstrap import Container
from reelserve.domain.rules import MAX_SEED

pytestmark = pytest.mark.asyncio


async def raw_create(client: httpx.AsyncClient, raw: bytes) -> dict[str, object]:
    response = await client.post(
        "/v1/video_generation", content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    return response.json()  # type: ignore[no-any-return]


def invalid(body: dict[str, object], *expected: str) -> None:
    base = body["base_resp"]
    assert isinstance(base, dict)
    assert base["status_code"] == 2013, base
    for text in expected:
        assert text in base["status_msg"], base


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"model":"T2V-01","prompt":"x\\ud800y"}', "prompt: 'x\\ud800y' is not text"),
        (
            b'{"model":"MiniMax-Hailuo-02","subject_reference":[{"image":["\\udfff"]}]}',
            "subject_reference[0].image[0]",
        ),
        (
            '{"model":"MiniMax-Hailuo-02","first_frame_image":"data:image/png;base64,iVBOR\u00e9w=="}'.encode(),
            "first_frame_image: invalid image url (a data URL holds only ASCII",
        ),
        (
            b'{"model":"T2V-01","prompt":"x","seed":18446744073709551617}',
            "seed: 18446744073709551617",
        ),
        (
            b'{"model":"T2V-01","prompt":"x","seed":9223372036854775808}',
            "seed: 9223372036854775808",
        ),
        (b'{"model":"T2V-01","prompt":"x","seed":-1}', "seed: -1"),
        (b'{"model":"MiniMax-Hailuo-02","first_frame_image":"http://xn--a/"}', "first_frame_image"),
        (b'{"model":"T2V-01","prompt":"x","callback_url":"http://xn--a/"}', "callback url"),
    ],
)
async def test_odd_but_valid_json_is_invalid_params_naming_the_field(
    client: httpx.AsyncClient, raw: bytes, expected: str
) -> None:
    invalid(await raw_create(client, raw), expected)


async def test_the_largest_seed_is_stored_and_read_back(
    client: httpx.AsyncClient, container: Container
) -> None:
    body = await raw_create(
        client, json.dumps({"model": "T2V-01", "prompt": "x", "seed": MAX_SEED}).encode()
    )
    task = container.repository.get(str(body["task_id"]))
    assert task is not None and task.seed == MAX_SEED


async def test_every_violation_is_reported_at_once_including_the_image(
    client: httpx.AsyncClient,
) -> None:
    body = await raw_create(
        client,
        json.dumps(
            {
                "model": "MiniMax-Hailuo-02",
                "duration": 7,
                "resolution": "4K",
                "first_frame_image": "nope",
            }
        ).encode(),
    )
    invalid(
        body,
        "resolution: '4K' is not allowed",
        "duration: 7 is not allowed",
        "first_frame_image: invalid image url",
    )


async def test_zero_values_read_as_absent(client: httpx.AsyncClient, container: Container) -> None:
    """What a Go client sends for every field it does not use."""
    go = {
        "model": "MiniMax-Hailuo-02",
        "prompt": "A lighthouse",
        "prompt_optimizer": None,
        "fast_pretreatment": False,
        "duration": 0,
        "resolution": "",
        "first_frame_image": "",
        "last_frame_image": "",
        "subject_reference": [],
        "callback_url": "",
        "aigc_watermark": False,
        "seed": 0,
    }
    body = await raw_create(client, json.dumps(go).encode())
    assert body["base_resp"] == {"status_code": 0, "status_msg": "success"}
    task = container.repository.get(str(body["task_id"]))
    assert task is not None
    assert (task.mode.value, task.duration, task.resolution) == ("t2v", 6, "768P")
    assert task.prompt_optimizer is True and task.callback_url is None and task.seed > 0
    # false still means false where the default is true
    body = await raw_create(client, json.dumps({**go, "prompt_optimizer": False}).encode())
    task = container.repository.get(str(body["task_id"]))
    assert task is not None and task.prompt_optimizer is False


async def test_subject_reference_ignores_duration_and_resolution_with_a_warning(
    client: httpx.AsyncClient, container: Container
) -> None:
    body = await raw_create(
        client,
        json.dumps(
            {
                "model": "S2V-01",
                "prompt": "a portrait",
                "duration": 10,
                "resolution": "1080P",
                "subject_reference": [{"type": "character", "image": [png_data_url(640, 640)]}],
            }
        ).encode(),
    )
    assert body["base_resp"] == {"status_code": 0, "status_msg": "success"}, body
    warnings = body["warnings"]
    assert isinstance(warnings, list)
    assert any(w.startswith("duration: ignored") for w in warnings)
    assert any(w.startswith("resolution: ignored") for w in warnings)
    task = container.repository.get(str(body["task_id"]))
    assert task is not None and (task.duration, task.resolution) == (6, "720P")
