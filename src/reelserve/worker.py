"""The worker loop: claim, run, heartbeat (inside the executor), reap. Threads or a process."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from reelserve.bootstrap import Container

log = logging.getLogger("reelserve.worker")


class WorkerPool:
    """``count`` worker threads, one reaper and one webhook sender over the same container."""

    def __init__(self, container: Container, count: int) -> None:
        self._container = container
        self._count = count
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._prefix = f"{socket.gethostname()}:{os.getpid()}"

    def start(self) -> None:
        if self._container.relay is not None:
            self._container.relay.start()  # parked tasks are checked where tasks run
        for index in range(self._count):
            thread = threading.Thread(
                target=self._work,
                args=(f"{self._prefix}:{index}",),
                name=f"worker-{index}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        reaper = threading.Thread(target=self._reap, name="reaper", daemon=True)
        reaper.start()
        self._threads.append(reaper)
        pusher = threading.Thread(target=self._push, name="webhooks", daemon=True)
        pusher.start()
        self._threads.append(pusher)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._container.work_available.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._container.relay is not None:
            self._container.relay.stop()

    def _work(self, worker_id: str) -> None:
        executor = self._container.executor(worker_id)
        wake = self._container.work_available
        poll = self._container.settings.poll_interval_s
        while not self._stop.is_set():
            try:
                ran = executor.run_next()
            except Exception:  # the database may be briefly unavailable: back off, go on
                log.exception("worker %s: claim failed", worker_id)
                ran = None
            if ran is None:
                wake.wait(poll)
                wake.clear()

    def _reap(self) -> None:
        executor = self._container.executor(f"{self._prefix}:reaper")
        interval = self._container.settings.reap_interval_s
        while not self._stop.wait(interval):
            try:
                executor.reap()
            except Exception:
                log.exception("reaper failed")

    def _push(self) -> None:
        """Deliver due callback pushes (the outbox); retries wait in the rows, not here."""
        webhooks = self._container.webhooks
        interval = self._container.settings.webhook_poll_s
        while not self._stop.is_set():
            try:
                sent = webhooks.deliver_due()
            except Exception:
                log.exception("webhook delivery failed")
                sent = 0
            if not sent:
                self._stop.wait(interval)

    def join_forever(self) -> None:
        try:
            while any(t.is_alive() for t in self._threads):
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stop()
