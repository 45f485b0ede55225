"""Task and file ids: digit strings, time-ordered, as MiniMax clients expect (about 15 digits)."""

from __future__ import annotations

import secrets
from datetime import datetime


def new_id(now: datetime) -> str:
    """Milliseconds since the epoch followed by four random digits (17 digits, fits int64)."""
    return f"{int(now.timestamp() * 1000)}{secrets.randbelow(10_000):04d}"
