"""Typed errors, chosen from the MiniMax ``base_resp.status_code`` (or the HTTP status).

::

    ReelserveClientError               anything this SDK raises on purpose
     ├── ApiError (code, message)      the server answered with a non-zero base_resp
     │    ├── InvalidParams  2013      a request rule was broken; ``fields`` names the fields
     │    ├── AuthError      1004 2049 missing, unknown or revoked API key
     │    ├── RateLimited    1002 1039 1041 2045   (retried with backoff first)
     │    ├── InsufficientBalance 1008 1028 1030
     │    ├── SensitiveContent    1026 1027
     │    ├── ServerError    1000 1001 1013 1024 1033, HTTP 5xx   (5xx retried first)
     │    └── TaskFailed     the task itself ended in ``Fail``; carries the task
     ├── ConnectionFailed             no answer at all (after retries)
     ├── WaitTimeout                  ``wait()`` gave up before the task finished
     └── WebhookVerificationError     a webhook's signature or timestamp did not check out
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reelserve_client.models import Task


class ReelserveClientError(Exception):
    """Base class of every error this SDK raises on purpose."""


class ApiError(ReelserveClientError):
    """The server refused the request; ``code`` is MiniMax's ``base_resp.status_code``."""

    def __init__(self, code: int, message: str, *, http_status: int = 200) -> None:
        self.code = code
        self.message = message
        self.http_status = http_status
        super().__init__(f"{message} (code {code})")


_FIELD = re.compile(r"^([A-Za-z_][\w.\[\]]*): ")


class InvalidParams(ApiError):
    """2013: ``message`` is ``invalid params, <field>: <problem>; <field>: <problem>…``."""

    @property
    def problems(self) -> list[str]:
        detail = self.message.removeprefix("invalid params").lstrip(", ")
        return [part.strip() for part in detail.split("; ") if part.strip()]

    @property
    def fields(self) -> list[str]:
        """The request fields the server named, in order (empty when it named none)."""
        found = []
        for problem in self.problems:
            match = _FIELD.match(problem)
            if match:
                found.append(match.group(1))
        return found


class AuthError(ApiError):
    """1004 / 2049: the API key is missing, unknown or revoked."""


class RateLimited(ApiError):
    """1002 (and 1039, 1041, 2045): too many requests; ``retry_after`` in seconds if sent."""

    def __init__(
        self, code: int, message: str, *, http_status: int = 200, retry_after: float | None = None
    ) -> None:
        super().__init__(code, message, http_status=http_status)
        self.retry_after = retry_after


class InsufficientBalance(ApiError):
    """1008 (and 1028, 1030): the account cannot pay for the video."""


class SensitiveContent(ApiError):
    """1026 (input) / 1027 (output): the moderation refused the content."""


class ServerError(ApiError):
    """1000, 1001, 1013, 1024, 1033 or an HTTP 5xx answer."""


class TaskFailed(ApiError):
    """The task ended in ``Fail``; ``code`` and ``message`` are the task's own reason."""

    def __init__(self, task: Task) -> None:
        super().__init__(task.error_code or 1000, task.error_message or "task failed")
        self.task = task

    def __str__(self) -> str:
        return f"task {self.task.task_id} failed: {self.message} (code {self.code})"


class ConnectionFailed(ReelserveClientError):
    """The server could not be reached (connection refused, DNS, timeout), after retries."""


class WaitTimeout(ReelserveClientError, TimeoutError):
    """``wait()`` ran out of time; ``task`` is the last state seen."""

    def __init__(self, task: Task, timeout: float) -> None:
        super().__init__(
            f"task {task.task_id} still {task.status} after {timeout:g} s "
            "(it keeps running on the server; wait again or cancel it)"
        )
        self.task = task


class WebhookVerificationError(ReelserveClientError):
    """A webhook failed verification: missing headers, stale timestamp or a bad signature."""


_BY_CODE: dict[int, type[ApiError]] = {
    2013: InvalidParams,
    1004: AuthError,
    2049: AuthError,
    1002: RateLimited,
    1039: RateLimited,
    1041: RateLimited,
    2045: RateLimited,
    1008: InsufficientBalance,
    1028: InsufficientBalance,
    1030: InsufficientBalance,
    1026: SensitiveContent,
    1027: SensitiveContent,
    1000: ServerError,
    1001: ServerError,
    1013: ServerError,
    1024: ServerError,
    1033: ServerError,
}


def error_for(
    code: int, message: str, *, http_status: int = 200, retry_after: float | None = None
) -> ApiError:
    """The typed error for a ``base_resp`` code (``ApiError`` itself for unknown codes)."""
    kind = _BY_CODE.get(code, ApiError)
    if kind is RateLimited:
        return RateLimited(code, message, http_status=http_status, retry_after=retry_after)
    return kind(code, message, http_status=http_status)


def error_from_body(body: Any, http_status: int, retry_after: float | None) -> ApiError | None:
    """The error a response stands for, or None when it is a success."""
    resp = body.get("base_resp") if isinstance(body, dict) else None
    if isinstance(resp, dict) and isinstance(resp.get("status_code"), int):
        code: int = resp["status_code"]
        if code != 0:
            message = str(resp.get("status_msg") or "error")
            return error_for(code, message, http_status=http_status, retry_after=retry_after)
    if http_status >= 500:
        return ServerError(1000, f"server error (HTTP {http_status})", http_status=http_status)
    if http_status in (401, 403):
        return AuthError(
            1004, f"authentication failed (HTTP {http_status})", http_status=http_status
        )
    if http_status == 429:
        return RateLimited(1002, "rate limit (HTTP 429)", http_status=429, retry_after=retry_after)
    if http_status >= 400:
        return ApiError(1000, f"request refused (HTTP {http_status})", http_status=http_status)
    return None
