"""Running claimed tasks: prepare inputs, call the engine, store the result under the lease.

At-least-once execution, effectively-once visible result: the output is stored under an
attempt-scoped key, and only the lease holder's compare-and-set makes it visible. A status write
that fails because the database is away is tried again for up to a minute (the heartbeats keep
the lease once it is back), and so is the upload of the result while the file store is away, so
a database restart or a storage outage costs a task a delay, never its finished work nor one of
its attempts.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

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
from reelserve.ports import Clock, Engine, FileStore, ScratchSpace, TaskQueue
from reelserve.services.slots import SlotGroup, Slots

log = logging.getLogger("reelserve.execution")
_ENGINE = FailureKind.ENGINE
_T = TypeVar("_T")


def _never() -> bool:
    return False


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseTimes:
    lease_for: timedelta = timedelta(seconds=30)
    heartbeat_every: timedelta = timedelta(seconds=2)
    settle_for: timedelta = timedelta(seconds=60)  # retrying a status write or an upload


class _Watch:
    """The running task's lease: remembers the latest progress, cancel and lease loss; the
    executor's `_Beater` calls ``beat`` while it is attached."""

    def __init__(
        self, store: TaskQueue, clock: Clock, task: Task, token: str, times: LeaseTimes
    ) -> None:
        self._store, self._clock, self._task, self._token = store, clock, task, token
        self.task_id = task.id
        self._times = times
        self._progress: Progress | None = None
        self._lock = threading.Lock()
        self.cancelled = False
        self.lost = False

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


class _Beater:
    """One heartbeat thread per executor, beating for the task it runs now.

    A thread per task cost a no-op task more than its database work on a busy machine. The
    thread ends when it wakes to find nothing attached, and the next task starts another; a
    task detached waits for a beat in flight, so no beat follows the task's end.
    """

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._lock = threading.Lock()
        self._watch: _Watch | None = None
        self._thread: threading.Thread | None = None

    @contextmanager
    def attached(self, watch: _Watch) -> Iterator[_Watch]:
        with self._lock:
            self._watch = watch
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
                self._thread.start()
        try:
            yield watch
        finally:
            with self._lock:
                self._watch = None

    def _run(self) -> None:
        while True:
            time.sleep(self._interval)
            with self._lock:
                watch = self._watch
                if watch is None:
                    self._thread = None
                    return
                try:
                    watch.beat()
                except Exception:  # a missed beat is retried; the lease has slack
                    log.exception("heartbeat failed for task %s", watch.task_id)


class _GiveBack(Exception):
    """This attempt ends without a result (the store failed, or the worker is stopping): the
    lease is given up, and the task runs again."""


@dataclass(kw_only=True)
class WorkerStats:
    """Counters of one worker process or replica, for its Prometheus metrics."""

    slots: int = 0  # executors (worker threads) sharing these stats
    claims: int = 0  # tasks claimed
    busy: int = 0  # threads running a task now
    lease_losses: int = 0  # attempts that found their lease taken over
    given_back: int = 0  # attempts that gave their task back (storage failure, stopping)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self.lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {
                "slots": self.slots,
                "claims": self.claims,
                "busy": self.busy,
                "lease_losses": self.lease_losses,
                "given_back": self.given_back,
            }


class Executor:
    def __init__(
        self,
        *,
        tasks: TaskQueue,
        files: FileStore,
        engine_for: Callable[[str], Engine],
        clock: Clock,
        worker_id: str,
        scratch: ScratchSpace,
        times: LeaseTimes = LeaseTimes(),
        slots: Slots | None = None,
        stats: WorkerStats | None = None,
    ) -> None:
        self._tasks = tasks
        self._files = files
        self._scratch = scratch
        self._engine_for = engine_for
        self._clock = clock
        self.worker_id = worker_id
        self._times = times
        self._slots = slots or Slots(groups=[SlotGroup(None, capacity=None)])
        self._beater = _Beater(min(times.heartbeat_every.total_seconds(), 1.0))
        self.stats = stats or WorkerStats()
        self.stats.add(slots=1)
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Claim nothing more; a task running now stops and is given back (lease released)."""
        self._stopping.set()

    def run_next(self) -> Task | None:
        """Take a free slot, then claim the oldest queued task it can run and run it to the end.

        The slot comes first, so a task is Processing only while it really runs; None when no
        slot was free or no task fits the free ones.
        """
        for group in self._slots.groups:
            if self._stopping.is_set() or not group.try_take():
                continue
            task = None
            try:
                task = self._tasks.claim(
                    self.worker_id, self._clock.now(), self._times.lease_for, models=group.models
                )
                if task is not None:
                    self.stats.add(claims=1, busy=1)
                    try:
                        self.run(task)
                    finally:
                        self.stats.add(busy=-1)
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
        watch = _Watch(self._tasks, self._clock, task, token, self._times)
        try:
            with self._scratch.workdir() as workdir, self._beater.attached(watch):
                self._attempt(task, token, workdir, watch)
        except _GiveBack:  # released after the heartbeats stopped, or they would renew it
            self.stats.add(given_back=1)
            self._release(task, token)
        except TaskHandedOff as handed:  # after the watch stopped: its beats cannot undo this
            self._hand_off(task, token, handed)

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
            if not self._transition(task, token, TaskStatus.PROCESSING):
                return  # lease lost or cancelled while preparing
            engine = self._engine_for(task.model)
            video = engine.generate(
                job,
                on_progress=watch.report,
                should_cancel=lambda: watch.should_stop() or self._stopping.is_set(),
            )
        except TaskHandedOff:
            raise
        except TaskCancelled:
            if watch.lost:  # paused or cut off past its lease: another attempt owns the task
                self._lost(task, f"lease lost; attempt {task.attempts} stopped")
            elif self._stopping.is_set() and not watch.cancelled:
                log.warning("task %s: worker stopping; the task is given back", task.id)
                raise _GiveBack from None
            else:
                self._end(task, token, CANCELLED)
            return
        except ReelserveError as error:
            self._end(task, token, Failure(code=error.code, message=error.status_msg, kind=_ENGINE))
            return
        except Exception:  # an engine bug must fail the task, never leave it stuck
            log.exception("task %s failed", task.id)
            # The exception's text is the engine's internals (OpenCV, torch, paths): logged
            # above with the task id, never shown to the client.
            message = "unknown error, generation failed (an internal engine error; retry later)"
            self._end(task, token, Failure(code=1000, message=message, kind=_ENGINE))
            return
        if watch.cancelled and not watch.lost:
            self._end(task, token, CANCELLED)
            return
        watch.report(Phase.STORING, video.frame_count, video.frame_count)
        self._store(task, token, video, watch)

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

    def _store(self, task: Task, token: str, video: RenderedVideo, watch: _Watch) -> None:
        now = self._clock.now()
        key = f"outputs/{task.id}/attempt-{task.attempts}.mp4"
        try:  # the heartbeats keep the lease while the upload is tried again
            size = self._settle(
                task, "the result", lambda: self._files.put(key, video.path), lambda: watch.lost
            )
        except Exception:  # storage down past the settle time: the task runs again
            log.exception("task %s: storing the result failed; the task will run again", task.id)
            raise _GiveBack from None
        record = video_output(
            owner_key_id=task.owner_key_id, task_id=task.id, watermark=task.aigc_watermark,
            key=key, size=size, now=now, has_audio=video.has_audio,
        )  # fmt: skip
        success = Success(file=record, video=video)  # charged at the price fixed at submit
        if not self._transition(task, token, TaskStatus.SUCCEEDED, success):
            self._files.delete(key)  # another attempt owns the task now: leave no orphan
            self._lost(task, "lease lost before the result was recorded")

    def _end(self, task: Task, token: str, reason: Failure) -> None:
        if not self._transition(task, token, reason.status, reason):
            self._lost(task, "lease lost before the failure was recorded")

    def _transition(
        self, task: Task, token: str, to: TaskStatus, result: Success | Failure | None = None
    ) -> bool:
        """The lease holder's compare-and-set, tried again while the database is away.

        A retried success whose first try did commit reads as written (the queue recognises
        its own file), so an answer lost with the connection never deletes a recorded video.
        """
        return self._settle(
            task,
            to.value,
            lambda: self._tasks.transition(task.id, token, self._clock.now(), to, result=result),
        )

    def _settle(
        self, task: Task, what: str, write: Callable[[], _T], give_up: Callable[[], bool] = _never
    ) -> _T:
        """``write`` tried again (0.1 s doubling to 2 s) for up to ``settle_for``, or until
        ``give_up`` says so: a database or file store that is away costs a delay, not the work."""
        deadline = time.monotonic() + self._times.settle_for.total_seconds()
        pause = 0.1
        while True:
            try:
                return write()
            except Exception as error:
                if time.monotonic() + pause > deadline or give_up():
                    raise
                log.warning("task %s: %s not written (%s); again", task.id, what, error)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    def _release(self, task: Task, token: str) -> None:
        """Give the lease up now (it expires at once), so the reaper requeues the task on its
        next sweep instead of after the whole lease; the attempt counts against max_attempts."""
        try:
            self._tasks.heartbeat(task.id, token, self._clock.now(), timedelta(0))
        except Exception:  # the database is down too: the lease runs out on its own
            log.exception("task %s: could not release the lease", task.id)

    def _lost(self, task: Task, message: str) -> None:
        self.stats.add(lease_losses=1)
        log.warning("task %s: %s", task.id, message)
