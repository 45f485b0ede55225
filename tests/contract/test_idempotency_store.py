"""Idempotency keys survive crashes: a key is recorded with its task or not at all.

The crash drill (tests/e2e/drills.py, server kill -9 during creates) found that a key reserved
before the task insert stayed "in progress" after a kill -9, so every retry got 409 for a
minute. These pin the fix at the store and the service.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from tests.contract.test_task_store import T0, make_task

from reelserve.adapters.db.engine import make_engine, migrate
from reelserve.adapters.db.store import SqlTaskStore
from reelserve.adapters.db.tables import idempotency_keys
from reelserve.bootstrap import Container
from reelserve.domain.idempotency import (
    IdempotencyClaim,
    IdempotencyConflict,
    IdempotencyState,
)
from reelserve.domain.requests import GenerationRequest
from reelserve.services.tasks import TaskService

CLAIM = IdempotencyClaim(owner_key_id="k1", key="order-7", fingerprint="f" * 64)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    return engine


@pytest.fixture
def store(engine: Engine) -> SqlTaskStore:
    return SqlTaskStore(engine)


def test_a_create_that_dies_before_its_insert_leaves_the_key_free(store: SqlTaskStore) -> None:
    assert store.begin_idempotent(CLAIM, T0).state is IdempotencyState.STARTED
    # ... the process is killed here, before store.add: the retry must not be refused.
    assert store.begin_idempotent(CLAIM, T0).state is IdempotencyState.STARTED
    store.add(make_task("101"), idempotency=CLAIM)
    outcome = store.begin_idempotent(CLAIM, T0 + timedelta(seconds=1))
    assert (outcome.state, outcome.task_id) == (IdempotencyState.DONE, "101")


def test_a_reservation_left_pending_by_an_older_version_does_not_block(
    engine: Engine, store: SqlTaskStore
) -> None:
    pending = {"owner_key_id": "k1", "key": "order-7", "fingerprint": "f" * 64}
    with engine.begin() as conn:  # what a kill -9 mid-create left behind before the fix
        conn.execute(insert(idempotency_keys).values(**pending, state="pending", created_at=T0))
    assert store.begin_idempotent(CLAIM, T0).state is IdempotencyState.STARTED
    store.add(make_task("101"), idempotency=CLAIM)
    assert store.begin_idempotent(CLAIM, T0).task_id == "101"


def test_of_two_creates_racing_with_one_key_only_one_commits(store: SqlTaskStore) -> None:
    assert store.begin_idempotent(CLAIM, T0).state is IdempotencyState.STARTED
    assert store.begin_idempotent(CLAIM, T0).state is IdempotencyState.STARTED
    store.add(make_task("101"), idempotency=CLAIM)
    with pytest.raises(IdempotencyConflict):
        store.add(make_task("102"), idempotency=CLAIM)
    assert store.get("102") is None  # the loser's task rolled back with its key
    assert store.begin_idempotent(CLAIM, T0).task_id == "101"


def test_another_body_is_a_mismatch_and_a_day_old_key_is_free_again(store: SqlTaskStore) -> None:
    store.add(make_task("101"), idempotency=CLAIM)
    other = IdempotencyClaim(owner_key_id="k1", key="order-7", fingerprint="0" * 64)
    assert store.begin_idempotent(other, T0).state is IdempotencyState.MISMATCH
    later = T0 + timedelta(hours=24, seconds=1)
    assert store.begin_idempotent(other, later).state is IdempotencyState.STARTED
    store.add(make_task("102", created=later), idempotency=other)
    assert store.begin_idempotent(other, later).task_id == "102"


class _LetsAnotherReplicaWinFirst:
    """A TaskStore whose add() first lets another replica commit a create with the same key."""

    def __init__(self, inner: SqlTaskStore, other: TaskService, create: dict[str, object]) -> None:
        self._inner, self._other, self._create = inner, other, create
        self.winner: str | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def add(self, task: object, **kwargs: object) -> None:
        self.winner = self._other.submit(**self._create).id  # type: ignore[arg-type]
        self._inner.add(task, **kwargs)  # type: ignore[arg-type]


def test_a_replica_that_loses_the_race_answers_with_the_winners_task(container: Container) -> None:
    owner = container.keys.authenticate(f"Bearer {container.keys.create('race').secret}")
    create: dict[str, object] = {
        "owner": owner,
        "request": GenerationRequest(model="MiniMax-Hailuo-02", prompt="a kite"),
        "idempotency_key": "order-7",
        "fingerprint": "f" * 64,
    }
    racing = _LetsAnotherReplicaWinFirst(container.task_store, container.tasks, create)  # type: ignore[arg-type]
    loser = TaskService(
        tasks=racing,  # type: ignore[arg-type]
        files=container.files,
        intake=container.tasks._intake,
        clock=container.clock,
    )
    answer = loser.submit(**create)  # type: ignore[arg-type]
    assert answer.id == racing.winner
    page = container.tasks.list(owner, status=None, limit=10, cursor=None)
    assert [task.id for task in page.tasks] == [racing.winner]
