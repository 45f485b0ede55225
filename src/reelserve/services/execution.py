"""Running claimed tasks: prepare inputs, call the engine, store the result under the lease.

At-least-once execution, effectively-once visible result: the output is stored under an
attempt-scoped key, and only the lease holder's compare-and-set makes it visible.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from reelserve.domain.errors import ReelserveError, TaskCancelled
from reelserve.domain.files import video_output
from reelserve.domain.jobs import GenerationJob, RenderedVideo
from reelserve.domain.relay import TaskHandedOff
from reelserve.domain.tasks import (
    CANCELLED,
    Failure,
    FailureKind,
    Phase,
    Progress,
    Success,
    Task,
    TaskStatus,
)
from reelserve.ports import Clock, Engine, FileStore, TaskQueue
from reelserve.services.slots import SlotGroup, Slots

log = logging.getLogger("reelserve.execution")
_ENGINE = FailureKind.ENGINE


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseTimes:
    lease_for: timedelta = timedelta(seconds=30)
    heartbeat_every: timedelta = timedelta(seconds=2)


class _Watch:
    """Heartbeats in the background; remembers the latest progress, cancel and lease loss."""

    def __init__(
        self, store: TaskQueue, clock: Clock, task: Task, token: str, times: LeaseTimes
    ) -> None:
        self._store, self._clock, self._task, self._token = store, clock, task, token
        self._times = times
        self._progress: Progress | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.cancelled = False
        self.lost = False
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{task.id}", daemon=True)

    def __enter__(self) -> _Watch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def report(self, phase: Phase, step: int, total: int) -> None:
        with self._lock:
            self._progress = Progress(phase=phase, step=step, total=total)

    def should_stop(self) -> bool:
        return self.cancelled or self.lost

    def beat(self) -> None:
        with self._lock:
            progress, self._progress = self._progress, None
        result = self._store.heartbeat(
            self._task.id, self._token, self._clock.now(), self._times.lease_for, progress
        )
        self.lost = self.lost or not result.alive
        self.cancelled = self.cancelled or result.cancel_requested

    def _run(self) -> None:
        interval = min(self._times.heartbeat_every.total_seconds(), 1.0)
        while not self._stop.wait(interval):
            try:
                self.beat()
            except Exception:  # a missed beat is retried; the lease has slack
                log.exception("heartbeat failed for task %s", self._task.id)


class Executor:
    def __init__(
        self,
        *,
        tasks: TaskQueue,
        files: FileStore,
        engine_for: Callable[[str], Engine],
        clock: Clock,
        worker_id: str,
        times: LeaseTimes = LeaseTimes(),
        slots: Slots | None = None,
    ) -> None:
        self._tasks = tasks
        self._files = files
        self._engine_for = engine_for
        self._clock = clock
        self.worker_id = worker_id
        self._times = times
        self._slots = slots or Slots(groups=[SlotGroup(None, capacity=None)])

    def run_next(self) -> Task | None:
        """Take a free slot, then claim the oldest queued task it can run and run it to the end.

        The slot comes first, so a task is Processing only while it really runs; None when no
        slot was free or no task fits the free ones.
        """
        for group in self._slots.groups:
            if not group.try_take():
                continue
            task = None
            try:
                task = self._tasks.claim(
                    self.worker_id, self._clock.now(), self._times.lease_for, models=group.models
                )
                if task is not None:
                    self.run(task)
            finally:
                group.give_back()
            if task is not None:
                self._slots.on_free()
                return task
        return None

    def reap(self) -> None:
        result = self._tasks.reap(self._clock.now())
        if result.requeued or result.failed or result.cancelled:
            log.warning(
                "reaper: requeued %s, failed %s, cancelled %s",
                result.requeued,
                result.failed,
                result.cancelled,
            )

    def run(self, task: Task) -> None:
        assert task.lease is not None
        token = task.lease.token
        workdir = self._files.scratch_dir()
        try:
            with _Watch(self._tasks, self._clock, task, token, self._times) as watch:
                self._attempt(task, token, workdir, watch)
        except TaskHandedOff as handed:  # after the watch stopped: its beats cannot undo this
            self._hand_off(task, token, handed)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _hand_off(self, task: Task, token: str, handed: TaskHandedOff) -> None:
        """A parked task keeps its lease (and no worker slot) until its upstream deadline."""
        if handed.lease_until is None:
            return  # the engine ended the task itself
        now = self._clock.now()
        parked = Progress(phase=Phase.SUBMITTED)
        beat = self._tasks.heartbeat(task.id, token, now, handed.lease_until - now, parked)
        if not beat.alive:
            log.info("task %s ended or moved on before it was parked", task.id)

    def _attempt(self, task: Task, token: str, workdir: Path, watch: _Watch) -> None:
        try:
            job = self._prepare(task, workdir)
            if not self._tasks.transition(task.id, token, self._clock.now(), TaskStatus.PROCESSING):
                return  # lease lost or cancelled while preparing
            engine = self._engine_for(task.model)
            video = engine.generate(job, on_progress=watch.report, should_cancel=watch.should_stop)
        except TaskHandedOff:
            raise
        except TaskCancelled:
            if watch.lost:  # paused or cut off past its lease: another attempt owns the task
                log.warning("task %s: lease lost; attempt %s stopped", task.id, task.attempts)
            else:
                self._end(task, token, CANCELLED)
            return
        except ReelserveError as error:
            self._end(task, token, Failure(code=error.code, message=error.status_msg, kind=_ENGINE))
            return
        except Exception as error:  # an engine bug must fail the task, never leave it stuck
            log.exception("task %s failed", task.id)
            message = f"unknown error, generation failed: {type(error).__name__}: {error}"
            self._end(task, token, Failure(code=1000, message=message, kind=_ENGINE))
            return
        if watch.cancelled and not watch.lost:
            self._end(task, token, CANCELLED)
            return
        watch.report(Phase.STORING, video.frame_count, video.frame_count)
        self._store(task, token, video)

    def _prepare(self, task: Task, workdir: Path) -> GenerationJob:
        first = self._fetch_input(task.first_frame_key, workdir / "first.png")
        last = self._fetch_input(task.last_frame_key, workdir / "last.png")
        return GenerationJob(
            task_id=task.id,
            model=task.model,
            mode=task.mode,
            prompt=task.prompt,
            raw_prompt=task.camera_prompt,
            prompt_optimizer=task.prompt_optimizer,
            plan=task.plan,  # parsed once, at submit
            first_frame=first,
            last_frame=last,
            width=task.width,
            height=task.height,
            fps=task.fps,
            frame_count=task.frame_count,
            seed=task.seed,
            watermark=task.aigc_watermark,
            output_path=workdir / "output.mp4",
            audio=task.audio,
        )

    def _fetch_input(self, key: str | None, target: Path) -> Path | None:
        if key is None:
            return None
        with self._files.open(key) as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink)
        return target

    def _store(self, task: Task, token: str, video: RenderedVideo) -> None:
        now = self._clock.now()
        key = f"outputs/{task.id}/attempt-{task.attempts}.mp4"
        size = self._files.put_file(key, video.path)
        record = video_output(
            owner_key_id=task.owner_key_id, task_id=task.id, watermark=task.aigc_watermark,
            key=key, size=size, now=now, has_audio=video.has_audio,
        )  # fmt: skip
        success = Success(file=record, video=video)  # charged at the price fixed at submit
        if not self._tasks.transition(task.id, token, now, TaskStatus.SUCCEEDED, result=success):
            self._files.delete(key)  # another attempt owns the task now: leave no orphan
            log.warning("task %s: lease lost before the result was recorded", task.id)

    def _end(self, task: Task, token: str, reason: Failure) -> None:
        now = self._clock.now()
        if not self._tasks.transition(task.id, token, now, reason.status, result=reason):
            log.warning("task %s: lease lost before the failure was recorded", task.id)
