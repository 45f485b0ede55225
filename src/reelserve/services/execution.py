"""Running claimed tasks: prepare inputs, call the engine, store the result under the lease.

At-least-once execution, effectively-once visible result: the output is stored under an
attempt-scoped key, and only the lease holder's compare-and-set makes it visible. A status write
that fails because the database is away is tried again for up to a minute (the heartbeats keep
the lease once it is back), so a database restart costs a task a delay, never its finished work.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def _empty(folder: Path) -> None:
    """Remove what a task left in ``folder`` (usually nothing: the output was moved away)."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseTimes:
    lease_for: timedelta = timedelta(seconds=30)
    heartbeat_every: timedelta = timedelta(seconds=2)
    settle_for: timedelta = timedelta(seconds=60)  # retrying a status write while the DB is away


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
        self._beater = _Beater(min(times.heartbeat_every.total_seconds(), 1.0))
        self._workdir: Path | None = None

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
        workdir = self._scratch()
        try:
            watch = _Watch(self._tasks, self._clock, task, token, self._times)
            with self._beater.attached(watch):
                self._attempt(task, token, workdir, watch)
        except TaskHandedOff as handed:  # after the watch stopped: its beats cannot undo this
            self._hand_off(task, token, handed)
        finally:
            _empty(workdir)

    def _scratch(self) -> Path:
        """This executor's scratch folder, made once and emptied after each task (a folder
        made and removed per task cost a no-op task a fifth of its time)."""
        if self._workdir is None or not self._workdir.is_dir():
            self._workdir = self._files.scratch_dir()
        return self._workdir

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
        if not self._transition(task, token, TaskStatus.SUCCEEDED, success):
            self._files.delete(key)  # another attempt owns the task now: leave no orphan
            log.warning("task %s: lease lost before the result was recorded", task.id)

    def _end(self, task: Task, token: str, reason: Failure) -> None:
        if not self._transition(task, token, reason.status, reason):
            log.warning("task %s: lease lost before the failure was recorded", task.id)

    def _transition(
        self, task: Task, token: str, to: TaskStatus, result: Success | Failure | None = None
    ) -> bool:
        """The lease holder's compare-and-set, tried again while the database is away.

        A retried success whose first try did commit reads as written (the queue recognises
        its own file), so an answer lost with the connection never deletes a recorded video.
        """
        deadline = time.monotonic() + self._times.settle_for.total_seconds()
        pause = 0.1
        while True:
            try:
                return self._tasks.transition(task.id, token, self._clock.now(), to, result=result)
            except Exception as error:
                if time.monotonic() + pause > deadline:
                    raise
                log.warning("task %s: %s not written (%s); again", task.id, to.value, error)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)
