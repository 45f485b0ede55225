"""Task, file and key ids: digit strings, time-ordered, at most 2^53 − 1.

MiniMax's ids are about 15 digits, and JavaScript's ``JSON.parse`` silently changes an integer
above 2^53 (``file.file_id`` is an integer in retrieve). So an id is

    10^15 + (milliseconds since 2025-01-01 UTC) × 4096 + low

always 16 digits until the year 2086 (so string order is time order, which the stores' cursors
rely on), and at most 2^53 − 1 (``MAX_ID``) until then. ``low`` (12 bits) starts at a random value
in each millisecond and counts up for further ids made in the same millisecond by this process,
so one process never repeats an id. Two processes or machines that pick the same ``low`` in the
same millisecond (about 1 in 2048 when they create at the same instant) are caught by the
database's unique key, and the create retries with a fresh id (``services.tasks``).

Ids made before this scheme (17 digits: milliseconds since 1970 and four random digits) stay
valid: nothing parses an id; it is looked up as the digit string it is.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

MAX_ID = 2**53 - 1
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_BASE = 10**15
_LOW_BITS = 12
_LOW_LIMIT = 1 << _LOW_BITS
_FIRST_LOW = _LOW_LIMIT // 2  # a random start below this leaves room to count up
LAST_MS = (MAX_ID - _BASE) >> _LOW_BITS  # the last millisecond with an id: in 2086


class IdMaker:
    """Makes ids; one per process (``new_id``), so that its ids never repeat."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = (-1, 0)  # (millisecond, low) of the last id made

    def make(self, now: datetime) -> str:
        """A fresh id for ``now`` (aware UTC), later than every id made here before."""
        # A clock set before 2025 counts from the epoch rather than failing every create.
        ms = max(0, int((now - EPOCH).total_seconds() * 1000))
        with self._lock:
            last_ms, last_low = self._last
            if ms > last_ms:
                low = secrets.randbelow(_FIRST_LOW)
            else:  # the same millisecond, or a clock that stepped back: count on from the last
                ms, low = last_ms, last_low + 1
                if low >= _LOW_LIMIT:  # 4096 ids in one millisecond: borrow the next one
                    ms, low = ms + 1, secrets.randbelow(_FIRST_LOW)
            self._last = (ms, low)
        return str(compose(ms, low))


_PROCESS = IdMaker()


def new_id(now: datetime) -> str:
    """A fresh id from this process's maker."""
    return _PROCESS.make(now)


def compose(ms: int, low: int) -> int:
    """The id for millisecond ``ms`` after ``EPOCH`` and low bits ``low``."""
    if not 0 <= ms <= LAST_MS:
        raise ValueError(f"no id for {ms} ms after {EPOCH:%Y-%m-%d} (the range is 0..{LAST_MS})")
    return _BASE + (ms << _LOW_BITS) + low
