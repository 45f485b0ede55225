"""In-process wake-ups: one event shared by the threads of a process (and the in-memory fake)."""

from __future__ import annotations

import threading


class LocalWakeups:
    """``notify`` wakes every waiting thread; a notify with nobody waiting is kept for the next
    ``wait``, so a task queued between a worker's empty claim and its wait is not missed."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def notify(self) -> None:
        self._event.set()

    def interrupt(self) -> None:
        self._event.set()

    def wait(self, timeout: float) -> bool:
        woken = self._event.wait(timeout)
        self._event.clear()
        return woken

    def close(self) -> None:
        self._event.set()
