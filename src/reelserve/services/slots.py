"""Work slots: a worker takes a free slot first and only then claims a task that fits it.

A GPU runs one generation at a time, so the models it serves share one slot; a worker thread
that finds it busy claims nothing and the task stays Queueing (its queue position and ETA stay
true) instead of showing Processing while it waits for the device. Models on no shared device
(the CPU preview engine) share an unlimited group.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass


class SlotGroup:
    """Models that run on one device, and how many tasks it runs at once (None: no limit)."""

    def __init__(self, models: frozenset[str] | None, capacity: int | None = 1) -> None:
        self.models = models  # None: any model (no other group in the process)
        self._free = threading.BoundedSemaphore(capacity) if capacity else None

    def try_take(self) -> bool:
        return self._free is None or self._free.acquire(blocking=False)

    def give_back(self) -> None:
        if self._free is not None:
            self._free.release()


@dataclass(frozen=True, slots=True)
class Slots:
    """The slot groups of one worker process (all its threads share them)."""

    groups: Sequence[SlotGroup]
    on_free: Callable[[], None] = lambda: None  # a slot freed after a run: wake the waiting


def plan_slots(
    serves: Collection[str] | None,
    devices: Iterable[frozenset[str]],
    catalog: Collection[str],
    on_free: Callable[[], None] = lambda: None,
) -> Slots:
    """Slot groups for a worker that serves ``serves`` (None: every model of ``catalog``):
    one single slot per shared device, and one unlimited group for the remaining models."""
    wanted = frozenset(catalog if serves is None else serves)
    groups: list[SlotGroup] = []
    taken: set[str] = set()
    for models in devices:
        mine = models & wanted
        if mine:
            groups.append(SlotGroup(mine, capacity=1))
            taken |= mine
    rest = wanted - taken
    if rest:
        whole = serves is None and not taken
        groups.append(SlotGroup(None if whole else rest, capacity=None))
    return Slots(groups=groups, on_free=on_free)
