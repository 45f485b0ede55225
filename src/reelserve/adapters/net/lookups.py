"""DNS lookups bounded per API key, each timed out on its own clock.

``getaddrinfo`` cannot be given a timeout or be cancelled, so a lookup runs in a thread of its
own and the caller stops waiting after ``timeout_s``; the thread ends when the resolver gives
up. A shared pool of eight threads made eight hanging names (one key's) a queue in front of
every other key's lookups, which then timed out while waiting for a thread (issue 16 item 8).
Here a lookup never waits for another: each key may have ``per_key`` lookups in progress
(hanging ones included, until they end) and the process ``total``; past either bound the
lookup is refused at once, naming the bound, rather than queued.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import httpcore

from reelserve.domain.tenancy import current_key

Resolver = Callable[[str, int], Sequence[str]]


class LookupRefused(httpcore.ConnectError):
    """Too many lookups in progress for this key, or in this process."""


class Lookups:
    """Runs resolver calls with per-key and total bounds; one instance per process."""

    def __init__(self, *, per_key: int = 4, total: int = 64, timeout_s: float = 5.0) -> None:
        self.per_key = per_key
        self.total = total
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._busy: dict[str, int] = {}
        self._running = 0

    def in_progress(self, key: str | None = None) -> int:
        """Lookups still running (timed-out ones included): of ``key``, or all."""
        with self._lock:
            return self._running if key is None else self._busy.get(key, 0)

    def resolve(
        self, resolve: Resolver, host: str, port: int, timeout: float | None
    ) -> Sequence[str]:
        """``resolve(host, port)`` within ``timeout`` (and ``timeout_s``), for the current key."""
        key = current_key()
        self._take(key)
        outcome: list[Sequence[str] | BaseException] = []
        finished = threading.Event()

        def run() -> None:
            try:
                outcome.append(resolve(host, port))
            except BaseException as exc:  # handed to the caller, who may have left
                outcome.append(exc)
            finally:
                self._give(key)
                finished.set()

        threading.Thread(target=run, name="reelserve-dns", daemon=True).start()
        limit = self.timeout_s if timeout is None else min(timeout, self.timeout_s)
        if not finished.wait(limit):
            raise httpcore.ConnectTimeout(f"DNS lookup of {host!r} timed out")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _take(self, key: str) -> None:
        with self._lock:
            if self._running >= self.total:
                raise LookupRefused(f"{self.total} DNS lookups in progress; try again later")
            if self._busy.get(key, 0) >= self.per_key:
                raise LookupRefused(
                    f"{self.per_key} DNS lookups in progress for this key; try again later"
                )
            self._busy[key] = self._busy.get(key, 0) + 1
            self._running += 1

    def _give(self, key: str) -> None:
        with self._lock:
            self._running -= 1
            left = self._busy[key] - 1
            if left:
                self._busy[key] = left
            else:
                del self._busy[key]
