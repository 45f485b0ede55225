"""One paced poller per upstream: it submits tasks that waited for a slot, checks parked
tasks (at most ``max_status_per_s`` status calls a second, backing off on 1002, 5xx and
network errors), hands successes to a small pool that copies the MP4 in, and acts on cancels.

Everything it needs is in the database, so a restarted process (kill -9) simply goes on: the
rows are due, and the task's lease outlives the crash (it lasts until the deadline).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from reelserve.adapters.engines.upstream.copier import CopiedVideo, copy_mp4
from reelserve.adapters.engines.upstream.errors import (
    AuthFailed,
    BadFile,
    LinkExpired,
    Retryable,
    UpstreamError,
)
from reelserve.adapters.engines.upstream.ports import UpstreamState, UpstreamStatus
from reelserve.adapters.engines.upstream.relay import Relay, Upstream
from reelserve.adapters.files.scratch import LocalScratch
from reelserve.domain.files import video_output
from reelserve.domain.jobs import RenderedVideo
from reelserve.domain.relay import ParkedTask, ParkState
from reelserve.domain.tasks import CANCELLED_MESSAGE, Phase, Success, Task, TaskStatus

log = logging.getLogger("reelserve.relay")

COPY_HOLD = timedelta(minutes=10)  # a copy in progress is not taken by another poller
_COPY_TRIES = 3


class UpstreamPoller:
    def __init__(self, relay: Relay, name: str, *, copies: int = 4, idle_s: float = 0.25) -> None:
        self._relay = relay
        self._upstream: Upstream = relay.upstreams[name]
        self._config = self._upstream.config
        self._stop = threading.Event()
        self._idle_s = idle_s
        self._pool = ThreadPoolExecutor(copies, thread_name_prefix=f"copy-{name}")
        self._copies = copies
        self._copying: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._loop, name=f"poller-{self._config.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database may be briefly away: go on
                log.exception("poller %s failed", self._config.name)
                busy = 0
            if not busy:
                self._stop.wait(self._idle_s)

    def run_once(self) -> int:
        """One round; how many rows it acted on."""
        relay, name, now = self._relay, self._config.name, self._relay.clock.now()
        done = 0
        for row in relay.parked.cancel_requested(name):
            self.cancel(row)
            done += 1
        batch = max(1, int(self._config.max_status_per_s))
        free = self._config.max_in_flight - relay.parked.open_count(name)
        hold = timedelta(seconds=self._config.poll_interval_s)
        if free > 0:
            for row in relay.parked.claim_due(name, [ParkState.WAITING], now, free, hold):
                self._submit_waiting(row)
                done += 1
        for row in relay.parked.claim_due(name, [ParkState.SUBMITTING], now, batch, hold):
            self._submit_waiting(row)  # its submitter died mid-create: the crash window
            done += 1
        for row in relay.parked.claim_due(name, [ParkState.COPYING], now, self._room(), COPY_HOLD):
            self._start_copy(row, None)
            done += 1
        for row in relay.parked.claim_due(name, [ParkState.PARKED], now, batch, hold):
            if not self._upstream.pacer.wait(self._stop):
                break
            self.check(row)
            done += 1
        return done

    def _room(self) -> int:
        with self._lock:
            return max(0, self._copies - len(self._copying))

    def _submit_waiting(self, row: ParkedTask) -> None:
        task = self._relay.active(row)
        if task is None:
            return
        if row.state is ParkState.SUBMITTING:
            handed = self._relay.resubmit(task, row)
        else:
            handed = self._relay.submit(task, row)
        if handed.lease_until is not None and task.lease is not None:
            self._relay.progress(task, row, Phase.SUBMITTED)

    def check(self, row: ParkedTask) -> None:
        relay, now = self._relay, self._relay.clock.now()
        task = relay.active(row)
        if task is None or row.upstream_task_id is None:
            return
        if now >= row.deadline_at:
            self._cancel_upstream(row)
            seconds = int(self._config.deadline_s)
            relay.end(task, row, 1001, f"upstream {row.upstream} did not finish in {seconds} s")
            return
        try:
            status = self._upstream.client.status(row.upstream_task_id)
        except Retryable as error:
            pause = self._upstream.pacer.failed()
            log.warning("task %s: %s; next look in %.0f s", row.task_id, error, pause)
            later = now + timedelta(seconds=max(pause, self._config.poll_interval_s))
            relay.parked.checked(row.task_id, now, status="error", next_check_at=later, error=True)
            return
        except UpstreamError as error:
            relay.parked.checked(row.task_id, now, status="error", next_check_at=now, error=True)
            self._fail(task, row, error)
            return
        self._upstream.pacer.succeeded()
        relay.health.clear(row.upstream)
        later = now + timedelta(seconds=self._config.poll_interval_s)
        relay.parked.checked(
            row.task_id, now, status=status.state, next_check_at=later, error=False
        )
        self._follow(task, row, status)

    def _follow(self, task: Task, row: ParkedTask, status: UpstreamStatus) -> None:
        relay = self._relay
        if status.state is UpstreamState.FAILED:
            message = f"upstream {row.upstream}: {status.message}"
            relay.end(task, row, status.code, message)
        elif status.state is UpstreamState.SUCCEEDED:
            relay.parked.move(
                row.task_id, ParkState.COPYING, relay.clock.now(),
                next_check_at=relay.clock.now() + COPY_HOLD,
                upstream_cost=relay.cost(task, status.cost).stored(),
            )  # fmt: skip
            self._start_copy(row, status)
        else:
            queued = status.state is UpstreamState.QUEUED
            phase = Phase.UPSTREAM_QUEUED if queued else Phase.UPSTREAM_PROCESSING
            if relay.progress(task, row, phase, status.percent or 0):
                self.cancel(row)

    def _fail(self, task: Task, row: ParkedTask, error: UpstreamError) -> None:
        if isinstance(error, AuthFailed):
            self._relay.health.report(row.upstream, self._relay.failure(error)[1])
        self._relay.end(task, row, *self._relay.failure(error))

    # --- copying ------------------------------------------------------------------------

    def _start_copy(self, row: ParkedTask, status: UpstreamStatus | None) -> None:
        with self._lock:
            if row.task_id in self._copying:
                return
            self._copying.add(row.task_id)
        self._pool.submit(self._copy_guarded, row, status)

    def _copy_guarded(self, row: ParkedTask, status: UpstreamStatus | None) -> None:
        try:
            self.copy(row, status)
        except Exception:
            log.exception("task %s: copy failed", row.task_id)
        finally:
            with self._lock:
                self._copying.discard(row.task_id)

    def copy(self, row: ParkedTask, status: UpstreamStatus | None) -> None:
        relay = self._relay
        task = relay.active(row)
        if task is None or task.lease is None or row.upstream_task_id is None:
            return
        relay.progress(task, row, Phase.COPYING)
        with LocalScratch().workdir() as workdir:  # a temp folder: only the copy touches it
            try:
                self._record(task, row, self._download(row, status, workdir))
            except UpstreamError as error:
                self._fail(task, row, error)

    def _download(
        self, row: ParkedTask, status: UpstreamStatus | None, workdir: Path
    ) -> CopiedVideo:
        assert row.upstream_task_id is not None
        client, error = self._upstream.client, None
        for attempt in range(_COPY_TRIES):
            try:
                if status is None or error is not None:
                    status = client.status(row.upstream_task_id)
                link = client.download_link(row.upstream_task_id, status)
                return copy_mp4(
                    row.upstream, link, workdir / "upstream.mp4",
                    max_bytes=self._config.max_bytes, timeout_s=self._config.timeout_s * 10,
                )  # fmt: skip
            except (LinkExpired, BadFile, Retryable) as failure:
                error = failure
                log.warning("task %s: copy try %d: %s", row.task_id, attempt + 1, failure)
                time.sleep(min(5.0, 0.5 * 2**attempt))
        assert error is not None
        raise error

    def _record(self, task: Task, row: ParkedTask, video: CopiedVideo) -> None:
        relay, now = self._relay, self._relay.clock.now()
        assert task.lease is not None
        rendered = RenderedVideo(
            path=video.path, width=video.width, height=video.height,
            fps=video.fps, frame_count=video.frame_count,
        )  # fmt: skip
        # A key of its own: a copy that loses the race deletes its file, never the winner's.
        key = f"outputs/{task.id}/upstream-{task.attempts}-{secrets.token_hex(4)}.mp4"
        size = relay.files.put(key, video.path)
        record = video_output(
            owner_key_id=task.owner_key_id, task_id=task.id, watermark=task.aigc_watermark,
            key=key, size=size, now=now,
        )  # fmt: skip
        success = Success(file=record, video=rendered)  # charged at the price fixed at submit
        if relay.queue.transition(
            task.id, task.lease.token, now, TaskStatus.SUCCEEDED, result=success
        ):
            relay.parked.move(row.task_id, ParkState.DONE, now, sha256=video.sha256)
            log.info("task %s: copied %d bytes from %s", task.id, video.bytes, row.upstream)
        else:
            relay.files.delete(key)  # another attempt owns the task now: leave no orphan
            log.warning("task %s: lease lost before the copy was recorded", task.id)

    # --- cancel -------------------------------------------------------------------------

    def cancel(self, row: ParkedTask) -> None:
        self._cancel_upstream(row)
        task = self._relay.repository.get(row.task_id)
        if task is not None and task.status.active:
            self._relay.end(task, row, 1000, CANCELLED_MESSAGE, cancelled=True)
        else:
            self._relay.parked.move(row.task_id, ParkState.CANCELLED, self._relay.clock.now())

    def _cancel_upstream(self, row: ParkedTask) -> None:
        if row.upstream_task_id and self._upstream.client.can_cancel:
            try:
                self._upstream.client.cancel(row.upstream_task_id)
            except UpstreamError as error:
                log.warning("task %s: upstream cancel failed: %s", row.task_id, error)
