"""The relay's domain: a task handed to an upstream API waits *parked*, not in a worker.

A parked task stays ``processing`` under a lease that lasts until its deadline; its row in the
``upstream_tasks`` table (one per task) says where it is upstream::

    waiting ──▶ submitting ──▶ parked ──▶ copying ──▶ done
       │             │            │           │
       └─────────────┴────────────┴───────────┴──▶ failed | cancelled

``waiting``: no upstream slot free yet (or the upstream was unreachable); the poller submits it.
``submitting``: written and committed *before* the create call, with the idempotency key; a row
still ``submitting`` after a crash is the crash window (the upstream may hold a task we never
recorded): it is submitted again with the same key (docs/relay.md, "The crash window").
``parked``: the upstream task id is committed; the poller checks it. ``copying``: the upstream
succeeded; its MP4 is being streamed into our storage.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation


class ParkState(enum.StrEnum):
    WAITING = "waiting"
    SUBMITTING = "submitting"
    PARKED = "parked"
    COPYING = "copying"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


OPEN = frozenset({ParkState.WAITING, ParkState.SUBMITTING, ParkState.PARKED, ParkState.COPYING})


class TaskHandedOff(Exception):
    """Raised by an engine's ``generate`` when it gave the task to something else.

    ``lease_until`` set: the task is parked upstream (its id already committed); the worker keeps
    the task's lease until then and frees its slot. None: the engine already ended the task.
    """

    def __init__(self, task_id: str, lease_until: datetime | None) -> None:
        super().__init__(f"task {task_id} handed off")
        self.task_id = task_id
        self.lease_until = lease_until


@dataclass(frozen=True, slots=True, kw_only=True)
class ParkedTask:
    task_id: str
    upstream: str  # the [upstreams.NAME] it was given to
    route: tuple[str, ...]  # the failover list, in order
    state: ParkState
    idempotency_key: str
    upstream_task_id: str | None
    deadline_at: datetime
    next_check_at: datetime
    checks: int = 0  # status calls made for this task
    errors: int = 0  # consecutive failed calls (network, 5xx, 1002)
    resubmits: int = 0  # submissions again after a crash inside the window
    upstream_status: str = ""
    sha256: str | None = None
    upstream_cost: str | None = None


_ESTIMATE = "~"  # the stored cost's mark: estimated from our catalog, not said by the upstream
_COLUMN_CHARS = 40  # upstream_tasks.upstream_cost; a longer figure from an upstream says nothing


@dataclass(frozen=True, slots=True)
class UpstreamCost:
    """What the upstream charged for a relayed task: its own figure where its answer says one,
    else our catalog's price of the upstream model (``estimated``)."""

    usd: Decimal
    estimated: bool

    def stored(self) -> str:
        """The ``upstream_cost`` column's text: ``"0.49"`` said, ``"~0.49"`` estimated."""
        return f"{_ESTIMATE if self.estimated else ''}{self.usd}"

    @classmethod
    def parse(cls, text: str | None) -> UpstreamCost | None:
        if not text or len(text) > _COLUMN_CHARS:
            return None
        estimated = text.startswith(_ESTIMATE)
        try:
            usd = Decimal(text.removeprefix(_ESTIMATE))
        except InvalidOperation:
            return None
        return cls(usd, estimated) if usd.is_finite() and usd >= 0 else None


def idempotency_key(task_id: str, attempt: int) -> str:
    """The ``Idempotency-Key`` of an upstream create: one per task and attempt."""
    return f"reelserve-{task_id}-{attempt}"
