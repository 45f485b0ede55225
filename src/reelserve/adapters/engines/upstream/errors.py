"""What can go wrong upstream, and the one table that sorts MiniMax codes into it.

::

    UpstreamError
     ├── Retryable     1002/1039/1041/2045 rate limits, 5xx, timeouts, dropped connections:
     │                 back off and try again (within the deadline)
     ├── AuthFailed    1004/2049, HTTP 401/403: fail with a 1000 message, readyz reports it
     ├── Exhausted     1008 balance, 2056/1028/1030 quota: the next upstream in the list
     ├── Rejected      anything else (2013, 1026, 1027 …): fail with the upstream's code
     ├── LinkExpired   the download link answers 403/404/410: ask for a fresh one
     └── BadFile       truncated, wrong length, too big, not a playable MP4
"""

from __future__ import annotations


class UpstreamError(Exception):
    def __init__(self, upstream: str, code: int, message: str) -> None:
        super().__init__(f"upstream {upstream}: {message} ({code})")
        self.upstream = upstream
        self.code = code
        self.message = message


class Retryable(UpstreamError):
    pass


class AuthFailed(UpstreamError):
    pass


class Exhausted(UpstreamError):
    pass


class Rejected(UpstreamError):
    pass


class LinkExpired(UpstreamError):
    pass


class BadFile(UpstreamError):
    pass


_RETRYABLE = frozenset({1000, 1001, 1002, 1013, 1024, 1033, 1039, 1041, 2045})
_AUTH = frozenset({1004, 2049})
_EXHAUSTED = frozenset({1008, 1028, 1030, 2056})


def classify(upstream: str, code: int, message: str) -> UpstreamError:
    """A MiniMax ``base_resp`` (code ≠ 0) as one of the classes above."""
    if code in _RETRYABLE:
        return Retryable(upstream, code, message)
    if code in _AUTH:
        return AuthFailed(upstream, code, message)
    if code in _EXHAUSTED:
        return Exhausted(upstream, code, message)
    return Rejected(upstream, code, message)


def from_http(upstream: str, status: int, message: str) -> UpstreamError | None:
    """An HTTP status as an upstream error (None: 2xx, the body decides)."""
    if status < 300:
        return None
    if status in (401, 403):
        return AuthFailed(upstream, 1004, f"HTTP {status}: {message}")
    if status == 402:
        return Exhausted(upstream, 1008, f"HTTP {status}: {message}")
    if status in (408, 425, 429) or status >= 500:
        return Retryable(upstream, 1002 if status == 429 else 1000, f"HTTP {status}: {message}")
    return Rejected(upstream, 2013, f"HTTP {status}: {message}")
