"""Per-key limits at submit: requests per minute (a key's own or the server's), tasks in
flight, a prepaid balance; each refusal stores nothing."""

from __future__ import annotations

import pytest

from reelserve.domain.errors import InsufficientBalance, RateLimited, SensitiveInput
from reelserve.domain.requests import GenerationRequest
from reelserve.services.tasks import TaskLimits
from reelserve.testing import ScriptedEngine
from tests.services.conftest import World

KITE = GenerationRequest(model="T2V-01", prompt="a kite")


def test_requests_per_minute_of_a_key_slide_with_the_clock(world: World) -> None:
    owner = world.owner(rpm=2)
    world.tasks.submit(owner, KITE)
    world.clock.advance(20)
    world.tasks.submit(owner, KITE)
    with pytest.raises(RateLimited) as refused:
        world.tasks.submit(owner, KITE)
    assert refused.value.retry_after_s == pytest.approx(40)
    other = world.owner("other", rpm=2)
    world.tasks.submit(other, KITE)  # its own minute
    world.clock.advance(41)
    world.tasks.submit(owner, KITE)
    assert len(world.tasks.list(owner, status=None, limit=10, cursor=None).tasks) == 3


def test_the_server_default_applies_to_keys_without_their_own(world: World) -> None:
    service = world.with_limits(TaskLimits(rpm=1))
    owner = world.owner()
    service.submit(owner, KITE)
    with pytest.raises(RateLimited):
        service.submit(owner, KITE)


def test_tasks_in_flight_are_capped_until_one_ends(world: World) -> None:
    service = world.with_limits(TaskLimits(max_in_flight=1))
    owner = world.owner()
    first = service.submit(owner, KITE)
    with pytest.raises(RateLimited, match="in flight"):
        service.submit(owner, KITE)
    service.cancel(owner, first.id)
    service.submit(owner, KITE)


def test_a_balance_pays_for_successes_only(world: World) -> None:
    kite = GenerationRequest(model="MiniMax-Hailuo-02", prompt="a kite")
    price = world.tasks.submit(world.owner("probe"), kite).cost_usd
    assert price > 0
    owner = world.owner(balance=str(price * 3 / 2))
    world.engine = ScriptedEngine(error=SensitiveInput("no"))
    world.tasks.submit(owner, kite)
    with pytest.raises(InsufficientBalance):  # the first one's price is reserved
        world.tasks.submit(owner, kite)
    world.executor().run_next()  # the probe's task: another key's
    world.executor().run_next()  # fails: nothing charged, nothing reserved any more
    assert world.stores.keys.by_hash(owner.key_hash).balance_usd == price * 3 / 2
    world.engine = ScriptedEngine()
    world.tasks.submit(owner, kite)
    world.executor().run_next()
    assert world.stores.keys.by_hash(owner.key_hash).balance_usd == price / 2
