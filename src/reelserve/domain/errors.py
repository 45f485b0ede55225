"""One error tree for the whole server. Each error carries its MiniMax ``base_resp`` code.

::

    ReelserveError (1000 unknown error)
     ├── InvalidParams (2013)            every request-rule violation, all at once
     │    └── CallbackCheckFailed (2013) the callback challenge was not echoed in time
     ├── NotFound (2013)                 unknown task or file, or another key's
     ├── NoRoute (2013)                  no such path, or not with this method
     ├── Unauthorized (1004)             missing, malformed or revoked API key
     │    └── InvalidApiKey (2049)       a well-formed key that is no key of ours
     ├── RateLimited (1002)              requests per minute, or tasks in flight, over the limit
     ├── InsufficientBalance (1008)
     ├── SensitiveInput (1026)
     ├── RequestTimeout (1001)
     ├── InternalError (1013)
     ├── ServiceUnavailable (1000)       the database is down or restarting: try again
     └── GenerationFailed (1000)         an engine, lease or storage failure while running a task

Errors never carry an HTTP status: ``api/errors.py`` turns them into responses per dialect.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """One broken request rule. ``message`` names the field and the value."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


class ReelserveError(Exception):
    code: int = 1000
    prefix: str = "unknown error"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        super().__init__(self.status_msg)

    @property
    def status_msg(self) -> str:
        return f"{self.prefix}, {self.detail}" if self.detail else self.prefix


class InvalidParams(ReelserveError):
    code = 2013
    prefix = "invalid params"

    def __init__(self, violations: list[Violation] | str) -> None:
        if isinstance(violations, str):
            violations = [Violation(field="", message=violations)]
        self.violations = tuple(violations)
        super().__init__("; ".join(v.message for v in self.violations))


class CallbackCheckFailed(InvalidParams):
    def __init__(self, reason: str = "") -> None:
        super().__init__("fail to check callback url" + (f" ({reason})" if reason else ""))


class NotFound(ReelserveError):
    code = 2013
    prefix = "invalid params"

    def __init__(self, what: str, ident: str) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"{what} not found: {ident!r}")


class NoRoute(ReelserveError):
    code = 2013
    prefix = "invalid params"


class Unauthorized(ReelserveError):
    code = 1004
    prefix = "authentication failed"


class InvalidApiKey(Unauthorized):
    """MINIMAX_API.md §8: create answers 2049 ``invalid api key``; query and retrieve list only
    1004, so the API turns this back into a plain ``Unauthorized`` there."""

    code = 2049
    prefix = "invalid api key"


class RateLimited(ReelserveError):
    code = 1002
    prefix = "rate limit"

    def __init__(self, detail: str = "", retry_after_s: float | None = None) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(detail)


class InsufficientBalance(ReelserveError):
    code = 1008
    prefix = "insufficient balance"


class SensitiveInput(ReelserveError):
    code = 1026
    prefix = "input new_sensitive"


class RequestTimeout(ReelserveError):
    code = 1001
    prefix = "request timeout"


class InternalError(ReelserveError):
    code = 1013
    prefix = "internal service error"


class ServiceUnavailable(ReelserveError):
    code = 1000
    prefix = "service unavailable"

    def __init__(self, detail: str = "try again", retry_after_s: float = 1.0) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(detail)


class GenerationFailed(ReelserveError):
    code = 1000
    prefix = "unknown error"


class TaskCancelled(Exception):
    """Raised inside an engine when ``should_cancel()`` turned true; not an API error."""
