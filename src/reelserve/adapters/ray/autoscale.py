"""Replicas from queue depth: a pure policy, fed by counts read from the database (never by
HTTP load, which says nothing about how much rendering waits)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueDepthPolicy:
    min_replicas: int = 0
    max_replicas: int
    tasks_per_replica: int = 1  # queued + running tasks one replica is meant to carry
    shrink_after: int = 3  # consecutive looks that wanted fewer replicas before shrinking

    def __post_init__(self) -> None:
        if not 0 <= self.min_replicas <= self.max_replicas:
            raise ValueError(
                f"replicas: min {self.min_replicas} and max {self.max_replicas} must satisfy "
                "0 <= min <= max"
            )
        if self.tasks_per_replica < 1:
            raise ValueError(f"tasks_per_replica: {self.tasks_per_replica} must be at least 1")

    def wanted(self, queued: int, running: int) -> int:
        load = math.ceil((queued + running) / self.tasks_per_replica)
        return max(self.min_replicas, min(self.max_replicas, load))

    def decide(self, current: int, queued: int, running: int, low_looks: int) -> tuple[int, int]:
        """(replicas to have, updated count of consecutive low looks). Grows at once; shrinks
        by one only after ``shrink_after`` looks in a row wanted fewer (no flapping)."""
        wanted = self.wanted(queued, running)
        if wanted >= current:
            return wanted, 0
        if low_looks + 1 >= self.shrink_after:
            return current - 1, 0
        return current, low_looks + 1
