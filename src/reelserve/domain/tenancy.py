"""Which API key the outbound work in progress is done for.

An image fetch or a webhook push deep in an adapter (a DNS lookup, a connection) is charged to a
key so that one key cannot use up a resource every key shares (issue 16: eight hanging lookups
must not stall every tenant's fetches). Passing the key down through every port signature would
thread it through code that has no other use for it, so the services that act for a key say so
with ``acting_for`` and the adapters that bound a resource read ``current_key``. A context
variable follows the work into ``run_in_threadpool`` and asyncio tasks, never into another
request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

NOBODY = ""  # work done for no key (start-up checks, tests)

_CURRENT: ContextVar[str] = ContextVar("reelserve_acting_for", default=NOBODY)


@contextmanager
def acting_for(key_id: str) -> Iterator[None]:
    """Charge the outbound work inside the block to ``key_id``."""
    token = _CURRENT.set(key_id)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current_key() -> str:
    """The key the work in progress is for; ``NOBODY`` outside ``acting_for``."""
    return _CURRENT.get()
