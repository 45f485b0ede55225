"""Wake-ups: telling idle workers that work may be waiting."""

from __future__ import annotations

from typing import Protocol


class Wakeups(Protocol):
    """Tells idle workers that work may be waiting, so they claim at once; polling stays the
    backstop (a lost wake-up costs one poll interval, never a task)."""

    def notify(self) -> None:
        """Work may be queued: wake the waiting workers here and in every other process."""
        ...

    def interrupt(self) -> None:
        """Wake this process's waiting workers only (a slot came free, or the pool stops)."""
        ...

    def wait(self, timeout: float) -> bool:
        """Block until woken or ``timeout`` seconds passed; True when woken."""
        ...

    def close(self) -> None: ...
