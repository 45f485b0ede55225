"""Idempotency keys survive crashes: a key is recorded with its task or not at all.

The crash drill (tests/e2e/drills.py, server kill -9 during creates) found that a key reserved
before the task insert stayed "in progress" after a kill -9, so every retry got 409 for a
minute. The contract itself runs on every backend (test_task_repository.py); these pin what is
particular to the SQL store (rows an older version left) and the service's answer to a race.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert
from tests.contract.helpers import T0, make_task

from reelserve.adapters.db.engine import make_engine, migrate
from reelserve.adapters.db.repository import SqlTaskRepository
from reelserve.adapters.db.tables import idempotency_keys
from reelserve.bootstrap import Container
from reelserve.domain.idempotency import IdempotencyClaim, IdempotencyState
from reelserve.domain.requests import GenerationRequest
from reelserve.services.tasks import TaskService

CLAIM = IdempotencyClaim(owner_key_id="k1", key="order-7", fingerprint="f" * 64)


def test_a_reservation_left_pending_by_an_older_version_does_not_block(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    store = SqlTaskRepository(engine)
    pending = {"owner_key_id": "k1", "key": "order-7", "fingerprint": "f" * 64}
    with engine.begin() as conn:  # what a kill -9 mid-create left behind before the fix
        conn.execute(insert(idempotency_keys).values(**pending, state="pending", created_at=T0))
    assert store.begin_idempotent(CLAIM, T0).state is IdempotencyState.STARTED
    store.add(make_task("101"), idempotency=CLAIM)
    assert store.begin_idempotent(CLAIM, T0).task_id == "101"
    engine.dispose()


class _LetsAnotherReplicaWinFirst:
    """A repository whose add() first lets another replica commit a create with the same key."""

    def __init__(self, inner: object, other: TaskService, create: dict[str, object]) -> None:
        self._inner, self._other, self._create = inner, other, create
        self.winner: str | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def add(self, task: object, **kwargs: object) -> None:
        self.winner = self._other.submit(**self._create).id  # type: ignore[arg-type]
        self._inner.add(task, **kwargs)  # type: ignore[attr-defined]


def test_a_replica_that_loses_the_race_answers_with_the_winners_task(container: Container) -> None:
    owner = container.keys.authenticate(f"Bearer {container.keys.create('race').secret}")
    create: dict[str, object] = {
        "owner": owner,
        "request": GenerationRequest(model="MiniMax-Hailuo-02", prompt="a kite"),
        "idempotency_key": "order-7",
        "fingerprint": "f" * 64,
    }
    racing = _LetsAnotherReplicaWinFirst(container.repository, container.tasks, create)
    loser = TaskService(
        tasks=racing,  # type: ignore[arg-type]
        catalog=container.tasks._catalog,
        stats=container.stats,
        files=container.files,
        intake=container.tasks._intake,
        clock=container.clock,
        rate=container.tasks._rate,
    )
    answer = loser.submit(**create)  # type: ignore[arg-type]
    assert answer.id == racing.winner
    page = container.tasks.list(owner, status=None, limit=10, cursor=None)
    assert [task.id for task in page.tasks] == [racing.winner]
