"""Receiver faults (500s, timeouts, redirects, slow answers): once the receiver recovers, every
push is delivered exactly once, in order, signed so that the standardwebhooks SDK verifies it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from reelserve.bootstrap import Container
from reelserve.domain.keys import ApiKey
from reelserve.domain.requests import GenerationRequest
from reelserve.domain.tasks import Failure, FailureKind, Task, TaskStatus
from tests.webhooks.conftest import drain
from tests.webhooks.receiver import Receiver


@pytest.fixture
def owner(container: Container, api_key: str) -> ApiKey:
    return container.keys.authenticate(f"Bearer {api_key}")


def submit(container: Container, owner: ApiKey, url: str) -> Task:
    request = GenerationRequest(model="T2V-01", prompt="waves", callback_url=url)
    return container.tasks.submit(owner, request)


def run_and_fail(container: Container) -> Task:
    """A worker's path through the store: claim → processing → failed (1026)."""
    store, now = container.queue, container.clock.now()
    task = store.claim("test-worker", now, timedelta(seconds=30))
    assert task is not None and task.lease is not None
    token = task.lease.token
    assert store.transition(task.id, token, now, TaskStatus.PROCESSING)
    failure = Failure(code=1026, message="input new_sensitive", kind=FailureKind.ENGINE)
    assert store.transition(task.id, token, now, TaskStatus.FAILED, result=failure)
    return task


def settled(container: Container, owner: ApiKey, task_id: str, count: int = 2) -> bool:
    records = container.webhooks.log(owner, task_id)
    return len(records) == count and all(r.state != "pending" for r in records)


@pytest.mark.parametrize(
    "faults",
    [
        [],
        ["500", "500", "500"],
        ["timeout", "timeout"],
        ["slow", "slow"],
        ["502", "redirect", "timeout"],
    ],
    ids=["healthy", "3x500", "2xtimeout", "2xslow", "502-redirect-timeout"],
)
def test_every_push_arrives_once_after_the_receiver_recovers(
    container: Container, owner: ApiKey, faults: list[str]
) -> None:
    with Receiver(faults, hang_s=0.8, slow_s=0.2) as receiver:
        task = submit(container, owner, receiver.url)
        run_and_fail(container)
        drain(container, lambda: settled(container, owner, task.id))

    acked = receiver.acknowledged()
    assert [p.json["status"] for p in acked] == ["processing", "failed"]
    assert acked[1].json == {
        "task_id": task.id,
        "status": "failed",
        "file_id": "",
        "base_resp": {"status_code": 1026, "status_msg": "input new_sensitive"},
    }
    failures = sum(1 for f in faults if f != "slow")
    assert len(receiver.pushes) == 2 + failures  # one retry per fault, no more
    verifier = Webhook(owner.webhook_secret)
    for push in receiver.pushes:  # every attempt, failed ones included, verifies
        verifier.verify(push.body, push.headers)
        event = push.json["status"]
        assert push.headers["webhook-id"] == f"msg_{task.id}_{event}"  # stable across retries
        assert push.headers["content-type"] == "application/json"
    bodies = {p.headers["webhook-id"]: p.body for p in receiver.pushes}
    assert all(p.body == bodies[p.headers["webhook-id"]] for p in receiver.pushes)

    records = container.webhooks.log(owner, task.id)
    assert [(r.event, r.state) for r in records] == [
        ("processing", "delivered"),
        ("failed", "delivered"),
    ]
    assert sum(len(r.log) for r in records) == len(receiver.pushes)
    assert records[0].attempts == 1 + failures
    assert [a.outcome for a in records[0].log] == ["retry"] * failures + ["delivered"]


def test_a_requeued_task_does_not_push_processing_twice(
    container: Container, owner: ApiKey
) -> None:
    with Receiver() as receiver:
        task = submit(container, owner, receiver.url)
        store, now = container.queue, container.clock.now()
        first = store.claim("w1", now, timedelta(seconds=1))
        assert first is not None and first.lease is not None
        assert store.transition(first.id, first.lease.token, now, TaskStatus.PROCESSING)
        assert store.reap(now + timedelta(seconds=2)).requeued == (task.id,)
        run_and_fail(container)
        drain(container, lambda: settled(container, owner, task.id))
    assert [p.json["status"] for p in receiver.acknowledged()] == ["processing", "failed"]


def test_cancelling_a_queued_task_pushes_failed(container: Container, owner: ApiKey) -> None:
    with Receiver() as receiver:
        task = submit(container, owner, receiver.url)
        container.tasks.cancel(owner, task.id)
        drain(container, lambda: settled(container, owner, task.id, count=1))
    (push,) = receiver.acknowledged()
    assert push.json["status"] == "failed"
    assert push.json["base_resp"] == {
        "status_code": 1000,
        "status_msg": "task cancelled by its owner",
    }


def test_tasks_without_a_callback_url_push_nothing(container: Container, owner: ApiKey) -> None:
    task = container.tasks.submit(owner, GenerationRequest(model="T2V-01", prompt="waves"))
    run_and_fail(container)
    assert container.webhooks.log(owner, task.id) == []
    assert container.webhooks.deliver_due() == 0
