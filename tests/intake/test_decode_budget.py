"""Decoding client images takes bounded memory (issue 16 item 2: a 1.6 kB WebP decodes to 40 MP)."""

from __future__ import annotations

import threading

import pytest

from reelserve.adapters.media.budget import PixelBudget


def test_decodes_share_the_budget_and_a_large_one_runs_alone() -> None:
    budget = PixelBudget(100)
    inside: list[int] = []
    release = threading.Event()
    entered = threading.Semaphore(0)

    def decode(pixels: int) -> None:
        with budget.hold(pixels):
            inside.append(budget.in_use)
            entered.release()
            release.wait(10)

    small = [threading.Thread(target=decode, args=(40,)) for _ in range(2)]
    for thread in small:
        thread.start()
    for _ in small:
        assert entered.acquire(timeout=10)  # 80 of 100: both small decodes run together
    third = threading.Thread(target=decode, args=(40,))
    large = threading.Thread(target=decode, args=(500,))
    third.start()
    large.start()
    assert not entered.acquire(timeout=0.3)  # neither fits beside the two
    assert budget.in_use == 80
    release.set()
    for thread in (*small, third, large):
        thread.join(10)
    assert max(inside) <= 500 and budget.in_use == 0
    assert 540 not in inside and 580 not in inside  # the large one never ran beside another


def test_a_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive but is 0"):
        PixelBudget(0)
