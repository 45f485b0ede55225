"""The OpenAI Videos and MiniMax V2 adapters against the scripted upstream."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from reelserve.adapters.engines.upstream.minimax_v2 import ratio_v2, resolution_v2
from reelserve.domain.tasks import Phase, TaskStatus
from tests.conftest import png_data_url
from tests.relay.conftest import Relaying
from tests.relay.upstream_server import ScriptedUpstream

DIALECTS = ["openai", "minimax-v2"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_t2v_and_i2v_are_relayed(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, dialect: str, mp4: bytes
) -> None:
    relay = relaying(dialect=dialect)
    t2v = relay.submit(prompt="a fox", resolution="1080P")
    i2v = relay.submit(prompt="a wave", first_frame_image=png_data_url(640, 360))
    for task in (t2v, i2v):
        done = relay.wait(task.id)
        assert done.status is TaskStatus.SUCCEEDED, done.error_message
        assert (done.width, done.height) == (160, 90)
    bodies = {b.get("prompt") or b["content"][0]["text"]: b for _, b in upstream.creates}
    if dialect == "openai":
        assert bodies["a fox"]["size"] == "1920x1080" and bodies["a fox"]["seconds"] == "6"
        assert bodies["a wave"]["input_reference"]["image_url"].startswith("data:image/png")
    else:
        assert (bodies["a fox"]["resolution"], bodies["a fox"]["ratio"]) == ("2K", "16:9")
        roles = [item.get("role") for item in bodies["a wave"]["content"]]
        assert roles == [None, "first_frame"] and bodies["a wave"]["ratio"] == "adaptive"


def test_v2_relays_first_and_last_frames(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    relay = relaying(dialect="minimax-v2")
    image = png_data_url(640, 360)
    task = relay.submit(prompt="turn", first_frame_image=image, last_frame_image=image)
    assert relay.wait(task.id).status is TaskStatus.SUCCEEDED
    roles = [item.get("role") for item in upstream.creates[0][1]["content"]]
    assert roles == [None, "first_frame", "last_frame"]


def test_openai_refuses_a_last_frame_rather_than_dropping_it(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    relay = relaying(dialect="openai")
    image = png_data_url(640, 360)
    failed = relay.wait(
        relay.submit(prompt="x", first_frame_image=image, last_frame_image=image).id
    )
    assert (failed.status, failed.error_code) == (TaskStatus.FAILED, 2013)
    assert "no last frame" in failed.error_message and not upstream.creates


@pytest.mark.parametrize(
    ("dialect", "code", "message"),
    [
        ("openai", 1000, "upstream fake: moderation_blocked: failure 1026"),
        ("minimax-v2", 1026, "upstream fake: failed: failure 1026"),
    ],
)
def test_an_upstream_failure_is_mapped(
    relaying: Callable[..., Relaying],
    upstream: ScriptedUpstream,
    dialect: str,
    code: int,
    message: str,
) -> None:
    upstream.script.outcome = "fail:1026"
    relay = relaying(dialect=dialect)
    failed = relay.wait(relay.submit(prompt="refused").id)
    assert (failed.status, failed.error_code, failed.error_message) == (
        TaskStatus.FAILED,
        code,
        message,
    )


@pytest.mark.parametrize(
    ("fault", "code", "words"),
    [("2013", 2013, "HTTP 400: fault 2013"), ("1004", 1000, "refused reelserve's API key")],
)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_http_errors_on_create_are_mapped(
    relaying: Callable[..., Relaying],
    upstream: ScriptedUpstream,
    dialect: str,
    fault: str,
    code: int,
    words: str,
) -> None:
    upstream.script.create_faults = [fault]
    relay = relaying(dialect=dialect)
    failed = relay.wait(relay.submit(prompt="refused").id)
    assert failed.status is TaskStatus.FAILED and failed.error_code == code
    assert words in failed.error_message


def test_openai_progress_is_shown(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.polls = 30
    relay = relaying(dialect="openai")
    task = relay.submit(prompt="slow")
    seen = relay.wait(task.id, until=lambda t: t.progress.phase is Phase.UPSTREAM_PROCESSING)
    assert (seen.progress.step, seen.progress.total) == (40, 100)
    assert 0.3 < seen.progress.fraction < 0.5


def test_v2_cancel_deletes_upstream(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.outcome = "never"
    relay = relaying(dialect="minimax-v2")
    task = relay.submit(prompt="cancel me")
    relay.wait(task.id, until=lambda t: upstream.status_calls >= 2)
    relay.container.tasks.cancel(relay.owner, task.id)
    assert relay.wait(task.id).status is TaskStatus.CANCELLED
    time.sleep(0.2)
    assert upstream.deleted == list(upstream.tasks)


@pytest.mark.parametrize(
    ("resolution", "expected"), [("1080P", "2K"), ("768P", "768P"), ("720P", "768P")]
)
def test_v2_resolution(resolution: str, expected: str) -> None:
    assert resolution_v2(resolution) == expected


@pytest.mark.parametrize(
    ("size", "ratio"),
    [((1920, 1080), "16:9"), ((1080, 1920), "9:16"), ((768, 768), "1:1"), ((1024, 768), "4:3")],
)
def test_v2_ratio_of_a_text_only_request(size: tuple[int, int], ratio: str) -> None:
    assert ratio_v2(*size, has_image=False) == ratio
