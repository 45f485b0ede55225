"""Callbacks over the fakes: events become signed pushes in order, rendered in the task's
dialect when sent; retries follow the policy; the log and redelivery are scoped to the owner."""

from __future__ import annotations

import json

import pytest
from standardwebhooks import Webhook

from reelserve.domain.deliveries import CallbackEvent
from reelserve.domain.errors import NotFound, SensitiveInput
from reelserve.domain.requests import GenerationRequest
from reelserve.services.callbacks import MiniMaxV1Callback
from reelserve.services.webhooks import WebhookService
from reelserve.testing import RecordingWebhookSender, ScriptedEngine
from tests.services.conftest import World

HOOK = "https://hooks.example.com/reelserve"
KITE = GenerationRequest(model="T2V-01", prompt="a kite", callback_url=HOOK)


def test_a_success_pushes_processing_then_success_signed_for_the_owner(world: World) -> None:
    owner = world.owner()
    task = world.tasks.submit(owner, KITE)
    world.executor().run_next()
    assert world.webhooks.deliver_due() == 2
    bodies = [json.loads(p.body) for p in world.sender.pushes]
    assert [b["status"] for b in bodies] == ["processing", "success"]
    done = world.tasks.get(owner, task.id)
    assert bodies[1] == {
        "task_id": task.id,
        "status": "success",
        "file_id": done.file_id,
        "base_resp": {"status_code": 0, "status_msg": "success"},
    }
    verifier = Webhook(owner.webhook_secret)
    for push in world.sender.pushes:
        verifier.verify(push.body, push.headers)
    assert world.sender.pushes[1].headers["webhook-id"] == f"msg_{task.id}_success"


def test_a_failure_push_carries_the_error(world: World) -> None:
    world.engine = ScriptedEngine(error=SensitiveInput("input new_sensitive"))
    task = world.tasks.submit(world.owner(), KITE)
    world.executor().run_next()
    world.webhooks.deliver_due()
    failed = json.loads(world.sender.pushes[-1].body)
    assert failed["status"] == "failed" and failed["task_id"] == task.id
    assert failed["base_resp"]["status_code"] == 1026


def test_a_refused_push_is_retried_on_schedule_with_the_same_bytes(world: World) -> None:
    world.sender = sender = RecordingWebhookSender(statuses=[500])
    world.webhooks = WebhookService(
        outbox=world.stores.outbox, tasks=world.stores.repository, sender=sender,
        clock=world.clock,
    )  # fmt: skip
    owner = world.owner()
    task = world.tasks.submit(owner, KITE)
    world.tasks.cancel(owner, task.id)
    assert world.webhooks.deliver_due() == 1
    assert world.webhooks.deliver_due() == 0  # waits out the first delay (5 s ± 10 %)
    world.clock.advance(6)
    assert world.webhooks.deliver_due() == 1
    first, second = sender.pushes
    assert first.body == second.body and json.loads(first.body)["status"] == "failed"
    (delivery,) = world.webhooks.log(owner, task.id)
    assert delivery.state == "delivered" and [a.outcome for a in delivery.log] == [
        "retry",
        "delivered",
    ]
    with pytest.raises(NotFound):
        world.webhooks.log(world.owner("stranger"), task.id)
    again = world.webhooks.redeliver(owner, task.id, None)
    assert again.state == "pending" and world.webhooks.deliver_due() == 1


class _Tagged:
    """A dialect with its own callback shape."""

    def render(self, event: CallbackEvent) -> bytes:
        return json.dumps({"id": event.task_id, "state": event.status.value}).encode()


def test_the_body_is_rendered_by_the_dialect_that_created_the_task(world: World) -> None:
    world.webhooks = WebhookService(
        outbox=world.stores.outbox, tasks=world.stores.repository, sender=world.sender,
        clock=world.clock,
        renderers={"minimax": MiniMaxV1Callback(), "openai": _Tagged()},
    )  # fmt: skip
    owner = world.owner()
    theirs = world.tasks.submit(owner, KITE, dialect="openai")
    world.tasks.cancel(owner, theirs.id)
    ours = world.tasks.submit(owner, KITE, dialect="vtrix")  # no renderer of its own
    world.tasks.cancel(owner, ours.id)
    world.webhooks.deliver_due()
    by_task = {p.headers["webhook-id"]: json.loads(p.body) for p in world.sender.pushes}
    assert by_task[f"msg_{theirs.id}_failed"] == {"id": theirs.id, "state": "cancelled"}
    assert by_task[f"msg_{ours.id}_failed"]["base_resp"]["status_code"] == 1000
