"""Pacing of one upstream's calls: at most ``rate`` per second, and a shared pause after a
rate limit (1002), a 5xx or a network error that doubles each time (1 s … 60 s) and ends at
the next good answer. Time is a monotonic clock; waiting is on an Event so that stop is quick.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        rate: float,
        *,
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1.0 / rate
        self._first, self._max = first_backoff_s, max_backoff_s
        self._now = monotonic
        self._lock = threading.Lock()
        self._next_at = 0.0
        self._backoff = 0.0

    def wait(self, stop: threading.Event) -> bool:
        """Block until a call may go out; False when ``stop`` was set meanwhile."""
        with self._lock:
            at = max(self._next_at, self._now())
            self._next_at = at + self._interval
        delay = at - self._now()
        return not stop.wait(delay) if delay > 0 else not stop.is_set()

    def failed(self) -> float:
        """A rate limit or an outage: pause every call; the pause in seconds."""
        with self._lock:
            self._backoff = min(self._max, self._backoff * 2 if self._backoff else self._first)
            self._next_at = max(self._next_at, self._now() + self._backoff)
            return self._backoff

    def succeeded(self) -> None:
        with self._lock:
            self._backoff = 0.0

    @property
    def backoff_s(self) -> float:
        return self._backoff
