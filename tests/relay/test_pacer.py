"""The pacer: at most ``rate`` calls a second, and a shared pause that doubles on failures."""

from __future__ import annotations

import threading

import pytest

from reelserve.adapters.engines.upstream.pacer import Pacer


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Recorder(threading.Event):
    """A stop event that records how long it was asked to wait, and advances the fake time."""

    def __init__(self, clock: FakeTime) -> None:
        super().__init__()
        self.clock, self.waits = clock, list[float]()

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(round(timeout or 0.0, 6))
        self.clock.now += timeout or 0.0
        return False


def test_calls_are_spaced_by_the_rate() -> None:
    clock = FakeTime()
    pacer, stop = Pacer(4, monotonic=clock), Recorder(clock)
    for _ in range(3):
        assert pacer.wait(stop)
    assert stop.waits == [0.25, 0.25]  # the first call goes at once


@pytest.mark.parametrize(("failures", "pause"), [(1, 1.0), (2, 2.0), (3, 4.0), (8, 60.0)])
def test_failures_double_the_pause_up_to_the_cap(failures: int, pause: float) -> None:
    pacer = Pacer(10, monotonic=FakeTime())
    for _ in range(failures):
        last = pacer.failed()
    assert last == pause == pacer.backoff_s


def test_a_good_answer_ends_the_backoff_and_the_pause_delays_the_next_call() -> None:
    clock = FakeTime()
    pacer, stop = Pacer(10, monotonic=clock), Recorder(clock)
    pacer.failed()
    pacer.failed()
    assert pacer.wait(stop) and stop.waits == [2.0]
    pacer.succeeded()
    assert pacer.backoff_s == 0 and pacer.failed() == 1.0


def test_a_set_stop_ends_the_wait() -> None:
    pacer, stop = Pacer(1), threading.Event()
    stop.set()
    assert not pacer.wait(stop)
