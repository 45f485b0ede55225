"""A semaphore over pixels, so that decoding client images takes bounded memory.

Decoding costs memory in proportion to pixels, not bytes: a 1.5 kB lossless WebP can declare
40 MP, and Pillow holds it three to four times over while decoding (about 600 MB). Each decode
holds its pixel count here; decodes run together while their pixels fit in the budget, and an
image larger than the whole budget waits until nothing else decodes and then runs alone.

Freed is not returned: glibc keeps what a thread freed in that thread's arena, so decodes taking
turns on different request threads each leave hundreds of MB resident (16 turns of a 40 MP WebP
peaked at 2.3 GB). After a large decode the budget hands the memory back (``malloc_trim``) before
the next one starts; the same 16 turns then peak at 0.65 GB.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

DEFAULT_PIXELS = 48_000_000  # one image at the 40 MP cap, or a handful of photos
TRIM_FROM_PIXELS = 4_000_000  # smaller decodes leave too little behind to be worth a trim


def _malloc_trim() -> Callable[[], object]:
    """glibc's ``malloc_trim(0)``; a no-op where the C library has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    if trim is None:
        return lambda: None
    return lambda: trim(0)


class PixelBudget:
    def __init__(self, pixels: int = DEFAULT_PIXELS) -> None:
        if pixels <= 0:
            raise ValueError(f"a pixel budget must be positive but is {pixels}")
        self.capacity = pixels
        self._in_use = 0
        self._turn = threading.Condition()
        self._trim = _malloc_trim()

    @property
    def in_use(self) -> int:
        with self._turn:
            return self._in_use

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        """Wait until ``pixels`` fit (or nothing else is held), hold them for the block."""
        pixels = max(0, pixels)
        with self._turn:
            self._turn.wait_for(lambda: self._in_use == 0 or self._in_use + pixels <= self.capacity)
            self._in_use += pixels
        try:
            yield
        finally:
            if pixels >= TRIM_FROM_PIXELS:
                self._trim()
            with self._turn:
                self._in_use -= pixels
                self._turn.notify_all()
