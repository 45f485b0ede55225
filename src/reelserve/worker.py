"""The worker loop: take a slot, claim, run, heartbeat (inside the executor), reap.

Threads in `reelserve serve`, or a `reelserve worker` process. An idle thread sleeps on the
container's wake-ups (a create anywhere wakes it at once); the poll interval is the backstop.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Collection

from reelserve.bootstrap import Container, build
from reelserve.services.delivery_pool import DeliveryPool
from reelserve.services.execution import Executor
from reelserve.settings import Settings

log = logging.getLogger("reelserve.worker")


class Backoff:
    """Pauses after consecutive failures: 0.1 s doubling to ``cap``, with ±20 % jitter so that
    a fleet that lost its database does not come back in step."""

    def __init__(self, first: float = 0.1, cap: float = 5.0) -> None:
        self._first, self._cap, self._failures = first, cap, 0

    def next(self) -> float:
        pause: float = min(self._cap, self._first * 2.0**self._failures)
        self._failures += 1
        return pause * random.uniform(0.8, 1.2)

    def reset(self) -> None:
        self._failures = 0


def build_when_reachable(settings: Settings, *, give_up_after_s: float = 300.0) -> Container:
    """`build` for a worker process: a database that is down or restarting at start-up is
    waited for with back-off (a fleet restarted with its database comes up on its own)."""
    backoff, deadline = Backoff(cap=5.0), time.monotonic() + give_up_after_s
    while True:
        try:
            return build(settings)
        except Exception as error:
            pause = backoff.next()
            if time.monotonic() + pause > deadline:
                raise
            log.warning("database not reachable (%s); again in %.1f s", type(error).__name__, pause)
            time.sleep(pause)


class WorkerPool:
    """``count`` worker threads, one reaper and one webhook sender over the same container.

    ``models`` limits the threads to those catalog models (None: every model); the threads
    share the process's slots, so a GPU's models are claimed only while the GPU is free.
    """

    def __init__(
        self, container: Container, count: int, *, models: Collection[str] | None = None
    ) -> None:
        self._container = container
        self._count = count
        self._models = models
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._prefix = f"{socket.gethostname()}:{os.getpid()}"

    def start(self) -> None:
        """Read the engine registry, load what it preloads, then start the threads."""
        router = self._container.router
        if self._count:
            router.warm()
        relay = self._container.relay if self._count else None
        if relay is not None:
            relay.start()  # parked tasks are checked where tasks run (docs/relay.md)
        slots = self._container.slots(self._models)
        for index in range(self._count):
            thread = threading.Thread(
                target=self._work,
                args=(self._container.executor(f"{self._prefix}:{index}", slots),),
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
        self._container.wakeups.interrupt()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._count and self._container.relay is not None:
            self._container.relay.stop()

    def _work(self, executor: Executor) -> None:
        wakeups = self._container.wakeups
        poll = self._container.settings.poll_interval_s
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                ran = executor.run_next()
            except Exception as error:  # the database is away: back off; the pool reconnects
                pause = backoff.next()
                log.warning(
                    "worker %s: claim failed (%s); again in %.1f s",
                    executor.worker_id, type(error).__name__, pause,
                )  # fmt: skip
                self._stop.wait(pause)
                continue
            backoff.reset()
            if ran is None:
                wakeups.wait(poll)

    def _reap(self) -> None:
        executor = self._container.executor(f"{self._prefix}:reaper")
        interval = self._container.settings.reap_interval_s
        while not self._stop.wait(interval):
            try:
                executor.reap()
            except Exception as error:
                log.warning("reaper failed (%s); again in %.1f s", type(error).__name__, interval)

    def _push(self) -> None:
        """Deliver due callback pushes (the outbox); retries wait in the rows, not here."""
        settings = self._container.settings
        webhooks = self._container.webhooks
        pool = None
        if settings.webhook_concurrency > 1:
            pool = DeliveryPool(
                webhooks,
                threads=settings.webhook_concurrency,
                per_receiver=settings.webhook_per_receiver,
                per_key=settings.webhook_per_key,
            )
        while not self._stop.is_set():
            try:
                sent = pool.dispatch() if pool else webhooks.deliver_due()
            except Exception:
                log.exception("webhook delivery failed")
                sent = 0
            if not sent:
                self._stop.wait(settings.webhook_poll_s)
        if pool:
            pool.close()

    def join_forever(self) -> None:
        try:
            while any(t.is_alive() for t in self._threads):
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stop()
