"""One source of task events per process, feeding every open event stream.

Each stream used to poll the database itself (a thread hop and several queries every 0.3 s):
600 streams made other routes take 1–3 s (issue 16 item 5). Now one loop per process reads
every watched task once per poll, in one thread hop, and wakes the streams whose task moved;
many streams on one task cost one read. Streams are capped per key (1002 past the cap), and a
stream whose key was revoked is closed (item 7).

``shared=False`` gives each stream its own loop again: the behaviour before, for the drill.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.concurrency import run_in_threadpool

from reelserve.bootstrap import Container
from reelserve.domain.errors import NotFound, RateLimited
from reelserve.domain.keys import ApiKey

log = logging.getLogger("reelserve.api")

Snapshot = tuple[int, dict[str, Any]]
Reader = Callable[[Container, ApiKey, str], Snapshot]


@dataclass(eq=False)
class Watch:
    """One watched task: its latest snapshot and the streams waiting on it."""

    owner: ApiKey
    task_id: str
    streams: int = 0
    latest: Snapshot | None = None
    closed: bool = False  # the key was revoked or the task vanished: streams end
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def publish(self, snapshot: Snapshot | None) -> None:
        """Record a new state (None: close) and wake every stream waiting on this one."""
        if snapshot is None:
            self.closed = True
        elif self.latest is not None and snapshot[0] == self.latest[0]:
            return
        else:
            self.latest = snapshot
        self.changed.set()
        self.changed = asyncio.Event()


class EventHub:
    def __init__(
        self,
        container: Container,
        read: Reader,
        *,
        poll_s: float,
        per_key: int,
        shared: bool = True,
    ) -> None:
        self._container = container
        self._read = read
        self._poll_s = poll_s
        self._per_key = per_key
        self._shared = shared
        self._watches: dict[str, Watch] = {}
        self._open: dict[str, int] = {}  # streams per key
        self._loop: asyncio.Task[None] | None = None
        self.ticks = 0  # polls made (each reads every watched task)
        self.polls = 0  # task reads made

    def streams(self, key_id: str | None = None) -> int:
        if key_id is None:
            return sum(self._open.values())
        return self._open.get(key_id, 0)

    def open(self, owner: ApiKey, task_id: str) -> Watch:
        """Register a stream on ``task_id`` (``close`` it); RateLimited past the key's cap."""
        held = self._open.get(owner.id, 0)
        if self._per_key and held >= self._per_key:
            raise RateLimited(
                f"{held} event streams open for this key; the limit is {self._per_key}"
            )
        self._open[owner.id] = held + 1
        return self._attach(owner, task_id)

    def close(self, watch: Watch) -> None:
        """A stream on ``watch`` ended."""
        watch.streams -= 1
        if not watch.streams and self._watches.get(watch.task_id) is watch:
            del self._watches[watch.task_id]
        left = self._open[watch.owner.id] - 1
        if left:
            self._open[watch.owner.id] = left
        else:
            del self._open[watch.owner.id]

    def _attach(self, owner: ApiKey, task_id: str) -> Watch:
        if not self._shared:
            watch = Watch(owner=owner, task_id=task_id, streams=1)
            asyncio.get_running_loop().create_task(self._run(lambda: [watch] * watch.streams))
            return watch
        watch = self._watches.get(task_id) or Watch(owner=owner, task_id=task_id)
        self._watches[task_id] = watch
        watch.streams += 1
        if self._loop is None or self._loop.done():
            self._loop = asyncio.get_running_loop().create_task(
                self._run(lambda: list(self._watches.values()))
            )
        return watch

    async def _run(self, watched: Callable[[], list[Watch]]) -> None:
        while current := watched():
            self.ticks += 1
            try:
                snapshots = await run_in_threadpool(self._read_all, current)
            except Exception:  # the database may be briefly unavailable: keep the streams
                log.exception("reading tasks for event streams failed")
            else:
                for watch, snapshot in zip(current, snapshots, strict=True):
                    watch.publish(snapshot)
            await asyncio.sleep(self._poll_s)

    def _read_all(self, watches: list[Watch]) -> list[Snapshot | None]:
        """Each task's snapshot; None for a task whose key was revoked or that is gone."""
        revoked = set()
        if self._shared:  # once per poll for every stream (the per-stream loop never looked)
            revoked = {k.id for k in self._container.keys.all() if not k.active}
        found: list[Snapshot | None] = []
        for watch in watches:
            self.polls += 1
            if watch.owner.id in revoked:
                found.append(None)
                continue
            try:
                found.append(self._read(self._container, watch.owner, watch.task_id))
            except NotFound:
                found.append(None)
        return found
