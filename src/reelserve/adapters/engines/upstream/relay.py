"""The relay: hand a claimed task to an upstream (with failover), and end it as the upstream
decides. The poller (poller.py) calls the same methods for tasks that waited for a slot.

Order of writes on submit (docs/relay.md, "The crash window"): the row is committed as
``submitting`` with its idempotency key, then the create call goes out, then the upstream id is
committed; only after that does the worker give its slot back (the executor extends the lease).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from reelserve.adapters.engines.upstream.config import RelayedModel, UpstreamConfig
from reelserve.adapters.engines.upstream.errors import (
    AuthFailed,
    Exhausted,
    Rejected,
    Retryable,
    UpstreamError,
)
from reelserve.adapters.engines.upstream.pacer import Pacer
from reelserve.adapters.engines.upstream.ports import ParkedStore, UpstreamClient, UpstreamJob
from reelserve.domain import catalog
from reelserve.domain.relay import (
    ParkedTask,
    ParkState,
    TaskHandedOff,
    UpstreamCost,
    idempotency_key,
)
from reelserve.domain.tasks import Failure, FailureKind, Phase, Progress, Task, TaskStatus
from reelserve.ports import Clock, FileStore, TaskQueue, TaskRepository

log = logging.getLogger("reelserve.relay")

COPY_MARGIN = timedelta(minutes=10)  # lease past the deadline: time to copy the result
_SUBMIT_TRIES = 3  # per upstream, before the next one in the list


@dataclass(frozen=True, slots=True, kw_only=True)
class Upstream:
    config: UpstreamConfig
    client: UpstreamClient
    pacer: Pacer


class RelayHealth:
    """What readyz reports: upstreams whose last answer was an auth refusal."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._problems: dict[str, str] = {}

    def report(self, name: str, problem: str) -> None:
        with self._lock:
            self._problems[name] = problem

    def clear(self, name: str) -> None:
        with self._lock:
            self._problems.pop(name, None)

    def problems(self) -> dict[str, str]:
        with self._lock:
            return dict(self._problems)


class Relay:
    def __init__(
        self,
        *,
        upstreams: Mapping[str, Upstream],
        models: Mapping[str, RelayedModel],
        queue: TaskQueue,
        repository: TaskRepository,
        parked: ParkedStore,
        files: FileStore,
        clock: Clock,
        retry_pause_s: float = 0.5,
        public_url: str | None = None,
    ) -> None:
        self.upstreams = dict(upstreams)
        self.models = dict(models)
        self.queue, self.repository = queue, repository
        self.parked, self.files, self.clock = parked, files, clock
        self.health = RelayHealth()
        self._pause_s = retry_pause_s
        self._public_url = public_url.rstrip("/") if public_url else None
        self._secrets = [u.config.key.reveal() for u in upstreams.values() if u.config.key]

    # --- handing a task off -------------------------------------------------------------

    def hand_off(self, task: Task) -> TaskHandedOff:
        """Submit a claimed task (or find it already upstream); what the worker does next."""
        now = self.clock.now()
        row = self.parked.get(task.id)
        if row is not None and row.state in (ParkState.PARKED, ParkState.COPYING):
            return self.handed(row)  # a retry after a crash: it is upstream already
        if row is not None and row.state is ParkState.SUBMITTING:
            # The crash window: the create may have reached the upstream. Same key again.
            log.warning(
                "task %s: resubmitting after a crash (key %s)", task.id, row.idempotency_key
            )
            self.parked.resubmitting(task.id, now)
            return self.submit(task, row, check_room=False)
        relayed = self.models[task.model]
        first = self.upstreams[relayed.route[0]].config
        row = ParkedTask(
            task_id=task.id,
            upstream=first.name,
            route=relayed.route,
            state=ParkState.WAITING,
            idempotency_key=idempotency_key(task.id, task.attempts),
            upstream_task_id=None,
            deadline_at=now + timedelta(seconds=first.deadline_s),
            next_check_at=now,
        )
        self.parked.begin(row, now)
        return self.submit(task, row)

    def resubmit(self, task: Task, row: ParkedTask) -> TaskHandedOff:
        """The crash window: a create may have reached the upstream whose answer we never
        committed. Submit again with the same key (docs/relay.md), and count it."""
        log.warning(
            "task %s: submitting again after a crash (key %s)", task.id, row.idempotency_key
        )
        self.parked.resubmitting(task.id, self.clock.now())
        return self.submit(task, row, check_room=False)

    def submit(self, task: Task, row: ParkedTask, *, check_room: bool = True) -> TaskHandedOff:
        """Try the route from ``row.upstream`` on: parked, waiting, or the task ended."""
        job = self._job(task, row)
        route = row.route[row.route.index(row.upstream) :]
        error: UpstreamError | None = None
        for name in route:
            upstream = self.upstreams[name]
            room = upstream.config.max_in_flight if check_room else None
            hold = _seconds(_SUBMIT_TRIES * (upstream.config.timeout_s + 5))
            if not self.parked.reserve(row.task_id, name, room, self.clock.now(), hold):
                return self._wait(row, name, self.clock.now() + _seconds(1))
            try:
                upstream_id = self._submit_to(upstream, row, job)
            except (Exhausted, AuthFailed, Retryable) as failure:
                error = failure
                continue  # 1008, a refused key, or repeated 5xx: the next upstream
            except Rejected as failure:
                return self.end(task, row, *self.failure(failure))
            self.parked.submitted(task.id, name, upstream_id, self.clock.now())
            log.info("task %s: upstream %s task %s", task.id, name, upstream_id)
            return self.handed(row)
        if isinstance(error, Retryable):  # every upstream unreachable: wait, within the deadline
            pause = self.upstreams[row.route[0]].pacer.failed()
            return self._wait(row, row.route[0], self.clock.now() + _seconds(pause))
        assert error is not None
        return self.end(task, row, *self.failure(error))

    def _submit_to(self, upstream: Upstream, row: ParkedTask, job: UpstreamJob) -> str:
        name = upstream.config.name
        for attempt in range(_SUBMIT_TRIES):
            try:
                upstream_id = upstream.client.submit(
                    replace(job, model=self._model_for(job), callback_url=self._hints(name))
                )
            except Retryable:
                if attempt == _SUBMIT_TRIES - 1:
                    raise
                time.sleep(self._pause_s * 2**attempt)
                continue
            except AuthFailed as error:
                self.health.report(name, self.failure(error)[1])
                raise
            self.health.clear(name)
            return upstream_id
        raise AssertionError("unreachable")

    def _hints(self, name: str) -> str | None:
        """Where the upstream may push (api/relay_hints.py): only with a public URL."""
        return f"{self._public_url}/v1/relay/hints/{name}" if self._public_url else None

    def _model_for(self, job: UpstreamJob) -> str:
        relayed = self.models.get(job.model)
        return relayed.upstream_model if relayed else job.model

    def cost(self, task: Task, said: str | None) -> UpstreamCost:
        """The upstream's cost of a task: its own figure, else our catalog's price of the
        upstream model (of ours when the catalog does not know that name), marked estimated."""
        reported = UpstreamCost.parse(said)
        if reported is not None and not reported.estimated:
            return reported
        relayed = self.models.get(task.model)
        spec = catalog.lookup(relayed.upstream_model if relayed else task.model)
        spec = spec or catalog.lookup(task.model)
        price = spec.price(task.resolution, task.duration) if spec else Decimal("0")
        return UpstreamCost(price, estimated=True)

    def _wait(self, row: ParkedTask, name: str, at: datetime) -> TaskHandedOff:
        now = self.clock.now()
        self.parked.move(row.task_id, ParkState.WAITING, now, upstream=name, next_check_at=at)
        return self.handed(row)

    def handed(self, row: ParkedTask) -> TaskHandedOff:
        return TaskHandedOff(row.task_id, row.deadline_at + COPY_MARGIN)

    def _job(self, task: Task, row: ParkedTask) -> UpstreamJob:
        return UpstreamJob(
            task_id=task.id,
            model=task.model,
            mode=task.mode,
            prompt=task.camera_prompt,
            prompt_optimizer=task.prompt_optimizer,
            duration=task.duration,
            resolution=task.resolution,
            width=task.width,
            height=task.height,
            watermark=task.aigc_watermark,
            first_frame=self._image(task.first_frame_key),
            last_frame=self._image(task.last_frame_key),
            idempotency_key=row.idempotency_key,
        )

    def _image(self, key: str | None) -> bytes | None:
        if key is None:
            return None
        with self.files.open(key) as source:
            return source.read()

    # --- ending a task ------------------------------------------------------------------

    def failure(self, error: UpstreamError) -> tuple[int, str]:
        """The code and message a task fails with (never a key's value)."""
        if isinstance(error, AuthFailed):
            config = self.upstreams[error.upstream].config
            message = (
                f"upstream {error.upstream} refused reelserve's API key ({error.code} "
                f"{error.message}); the operator must check {config.key_env or 'its key'}"
            )
            return 1000, self.redact(message)
        return error.code, self.redact(f"upstream {error.upstream}: {error.message}")

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def end(
        self, task: Task, row: ParkedTask, code: int, message: str, *, cancelled: bool = False
    ) -> TaskHandedOff:
        now = self.clock.now()
        kind = FailureKind.CANCELLED if cancelled else FailureKind.UPSTREAM
        if task.lease is not None:
            failure = Failure(code=code, message=self.redact(message), kind=kind)
            self.queue.transition(task.id, task.lease.token, now, failure.status, result=failure)
        state = ParkState.CANCELLED if cancelled else ParkState.FAILED
        self.parked.move(task.id, state, now)
        log.info("task %s: ended (%s %s)", task.id, code, message)
        return TaskHandedOff(task.id, None)

    def active(self, row: ParkedTask) -> Task | None:
        """The task, while a worker or parked lease holds it; closes the row of an ended one."""
        task = self.repository.get(row.task_id)
        if task is not None and task.status.active and task.lease is not None:
            return task
        if task is None or task.status.terminal:
            done = task is not None and task.status is TaskStatus.SUCCEEDED
            self.parked.move(
                row.task_id, ParkState.DONE if done else ParkState.FAILED, self.clock.now()
            )
        return None  # queued again by the reaper: its next claim takes the row over

    def progress(self, task: Task, row: ParkedTask, phase: Phase, step: int = 0) -> bool:
        """Show the upstream phase; True when the owner asked to cancel."""
        wanted = Progress(phase=phase, step=step, total=100 if step else 0)
        if task.progress == wanted or task.lease is None:
            return task.cancel_requested
        now = self.clock.now()
        lease_for = row.deadline_at + COPY_MARGIN - now
        beat = self.queue.heartbeat(task.id, task.lease.token, now, lease_for, wanted)
        return beat.cancel_requested


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)
