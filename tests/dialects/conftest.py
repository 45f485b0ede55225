"""Fixtures for the dialect tests: the app in-process, a worker thread that runs queued tasks."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from reelserve.bootstrap import Container


@pytest.fixture
def worker(container: Container) -> Iterator[None]:
    """Runs queued tasks in the background while a test polls (as `reelserve serve` does)."""
    stop = threading.Event()
    executor = container.executor("dialect-test-worker")

    def loop() -> None:
        while not stop.is_set():
            if not executor.run_next():
                stop.wait(0.05)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)
