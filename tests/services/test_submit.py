"""Submitting tasks: validation, images, callbacks, idempotency, prices; nothing stored on refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reelserve.domain.errors import CallbackCheckFailed, InvalidParams
from reelserve.domain.idempotency import IdempotencyConflict
from reelserve.domain.requests import GenerationRequest, Mode
from reelserve.domain.tasks import TaskStatus
from tests.services.conftest import IMAGE_URL, World

KITE = GenerationRequest(model="MiniMax-Hailuo-02", prompt="a kite over a beach [Pan left]")


def test_a_valid_request_becomes_a_queued_priced_task(world: World) -> None:
    owner = world.owner()
    task = world.tasks.submit(owner, KITE, seed=7)
    assert task.status is TaskStatus.QUEUED and task.mode is Mode.T2V and task.seed == 7
    assert task.prompt == "a kite over a beach" and task.camera_prompt == KITE.prompt
    assert task.cost_usd > 0 and task.dialect == "minimax"
    assert task.created_at == world.clock.now()
    assert world.stores.repository.get(task.id) == task
    assert world.tasks.queue_position(task) == 0


def test_a_task_remembers_the_dialect_that_created_it(world: World) -> None:
    task = world.tasks.submit(world.owner(), KITE, dialect="openai")
    assert world.stores.repository.get(task.id).dialect == "openai"


def test_every_violation_is_named_and_nothing_is_stored(world: World) -> None:
    owner = world.owner()
    bad = GenerationRequest(model="MiniMax-Hailuo-02", prompt="x", resolution="9K")
    with pytest.raises(InvalidParams) as refused:
        world.tasks.submit(owner, bad)
    (violation,) = refused.value.violations
    assert violation.field == "resolution" and "9K" in violation.message
    assert world.tasks.list(owner, status=None, limit=10, cursor=None).tasks == ()


def test_a_first_frame_is_fetched_checked_and_stored(world: World) -> None:
    request = GenerationRequest(model="I2V-01", prompt="a cat", first_frame_image=IMAGE_URL)
    task = world.tasks.submit(world.owner(), request)
    assert task.mode is Mode.I2V and task.first_frame_key is not None
    assert world.files.exists(task.first_frame_key)
    unknown = GenerationRequest(model="I2V-01", prompt="a cat", first_frame_image=IMAGE_URL + "x")
    with pytest.raises(InvalidParams, match="first_frame_image"):
        world.tasks.submit(world.owner("other"), unknown)


def test_a_callback_that_fails_its_challenge_refuses_the_task(world: World) -> None:
    owner = world.owner()
    world.sender.accept_challenges = False
    hooked = GenerationRequest(model="T2V-01", prompt="waves", callback_url="https://h.example/cb")
    with pytest.raises(CallbackCheckFailed):
        world.tasks.submit(owner, hooked)
    assert world.sender.challenges == ["https://h.example/cb"]
    assert world.tasks.list(owner, status=None, limit=10, cursor=None).tasks == ()


def test_an_idempotent_repeat_returns_the_same_task(world: World) -> None:
    owner = world.owner()
    first = world.tasks.submit(owner, KITE, idempotency_key="k-1", fingerprint="a" * 64)
    again = world.tasks.submit(owner, KITE, idempotency_key="k-1", fingerprint="a" * 64)
    assert again == first
    with pytest.raises(IdempotencyConflict):
        world.tasks.submit(owner, KITE, idempotency_key="k-1", fingerprint="b" * 64)
    assert len(world.tasks.list(owner, status=None, limit=10, cursor=None).tasks) == 1


def test_the_price_is_fixed_at_submit(world: World) -> None:
    task = world.tasks.submit(world.owner(), KITE)
    assert task.cost_usd == Decimal(str(task.cost_usd))  # a Decimal, from the catalog
    assert world.stores.repository.get(task.id).cost_usd == task.cost_usd
