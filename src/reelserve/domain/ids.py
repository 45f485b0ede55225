"""Task and file ids: digit strings, time-ordered, as MiniMax clients expect (about 15 digits)."""

from __future__ import annotations

import itertools
import secrets
from datetime import datetime

# The tail counts up from a random start in each process: ids made in one process in the same
# millisecond never collide (up to 10,000 of them); a random tail did about once every 20 s at
# 1,000 creates/s (a duplicate primary key, seen in benchmarks/queue.py). Two processes still
# collide with odds 1 in 10,000 per pair of ids made in the same millisecond.
_TAILS = itertools.count(secrets.randbelow(10_000))


def new_id(now: datetime) -> str:
    """Milliseconds since the epoch followed by a four-digit tail (17 digits, fits int64)."""
    return f"{int(now.timestamp() * 1000)}{next(_TAILS) % 10_000:04d}"
