"""Creates run on threads of their own, with a share per key.

A create may wait on the network for seconds (an image URL, the callback challenge), in a
thread. On the request threads every sync route shares (anyio's default 40), sixty creates
whose URLs never answer held every one of them and ``/healthz`` took 19 s (issue 16 item 3).
So creates get their own limiter of ``create_threads`` threads, and one key at most
``create_threads_per_key`` of those: its further creates wait for its own share without holding
a thread, and other keys' creates, and every other route, go on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from reelserve.bootstrap import Container

T = TypeVar("T")


class CreateSlots:
    """``total`` create threads, ``per_key`` of them for one key; ``total`` 0: the request
    threads, shared with every route (the behaviour before issue 16, for comparison)."""

    def __init__(self, total: int, per_key: int) -> None:
        self.total = total
        self.per_key = max(1, min(per_key, total)) if total else 0
        self._limiter = anyio.CapacityLimiter(total) if total else None
        self._shares: dict[str, tuple[anyio.Semaphore, int]] = {}  # key -> (share, users)

    async def run(self, key_id: str, call: Callable[[], T]) -> T:
        if self._limiter is None:
            return await run_in_threadpool(call)
        async with self._share(key_id):
            return await anyio.to_thread.run_sync(call, limiter=self._limiter)

    @asynccontextmanager
    async def _share(self, key_id: str) -> AsyncIterator[None]:
        share, users = self._shares.get(key_id) or (anyio.Semaphore(self.per_key), 0)
        self._shares[key_id] = (share, users + 1)  # one event loop: no lock needed
        try:
            async with share:
                yield
        finally:
            share, users = self._shares[key_id]
            if users == 1:
                del self._shares[key_id]
            else:
                self._shares[key_id] = (share, users - 1)


def create_slots(request: Request) -> CreateSlots:
    """The app's create slots, made on first use from the container's settings."""
    state = request.app.state
    slots: CreateSlots | None = getattr(state, "create_slots", None)
    if slots is None:
        container: Container = state.container
        settings = container.settings
        slots = CreateSlots(settings.create_threads, settings.create_threads_per_key)
        state.create_slots = slots
    return slots
