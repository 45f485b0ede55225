"""The error tree: MiniMax codes (MINIMAX_API.md §8) and ``status_msg`` strings."""

from __future__ import annotations

import pytest

from reelserve.domain import errors
from reelserve.domain.errors import (
    CallbackCheckFailed,
    GenerationFailed,
    InsufficientBalance,
    InternalError,
    InvalidParams,
    NotFound,
    RateLimited,
    ReelserveError,
    RequestTimeout,
    SensitiveInput,
    TaskCancelled,
    Unauthorized,
    Violation,
)


@pytest.mark.parametrize(
    ("cls", "code", "prefix"),
    [
        (ReelserveError, 1000, "unknown error"),
        (GenerationFailed, 1000, "unknown error"),
        (RequestTimeout, 1001, "request timeout"),
        (RateLimited, 1002, "rate limit"),
        (Unauthorized, 1004, "authentication failed"),
        (InsufficientBalance, 1008, "insufficient balance"),
        (InternalError, 1013, "internal service error"),
        (SensitiveInput, 1026, "input new_sensitive"),
    ],
)
def test_codes_and_messages(cls: type[ReelserveError], code: int, prefix: str) -> None:
    bare = cls()
    assert (bare.code, bare.status_msg, str(bare), bare.detail) == (code, prefix, prefix, "")
    detailed = cls("key rs_abc…wxyz")
    assert detailed.status_msg == f"{prefix}, key rs_abc…wxyz"
    assert str(detailed) == detailed.status_msg
    assert isinstance(detailed, ReelserveError)


def test_invalid_params_collects_every_violation() -> None:
    found = [
        Violation(field="duration", message="duration: 7 is not allowed"),
        Violation(field="prompt", message="prompt: is required for text-to-video"),
    ]
    error = InvalidParams(found)
    assert error.code == 2013
    assert error.violations == tuple(found)
    assert error.status_msg == (
        "invalid params, duration: 7 is not allowed; prompt: is required for text-to-video"
    )
    assert str(error) == error.status_msg
    found.clear()  # the error keeps its own copy
    assert len(error.violations) == 2


def test_invalid_params_from_a_sentence() -> None:
    error = InvalidParams("invalid image url")
    assert error.status_msg == "invalid params, invalid image url"
    assert error.violations == (Violation(field="", message="invalid image url"),)


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "invalid params, fail to check callback url"),  # §5, as observed upstream
        ("timed out after 3 s", "invalid params, fail to check callback url (timed out after 3 s)"),
    ],
)
def test_callback_check_failed(reason: str, message: str) -> None:
    error = CallbackCheckFailed(reason) if reason else CallbackCheckFailed()
    assert isinstance(error, InvalidParams)
    assert (error.code, error.status_msg) == (2013, message)


def test_not_found_is_an_invalid_params_2013() -> None:
    error = NotFound("task", "12345")
    assert (error.code, error.what, error.ident) == (2013, "task", "12345")
    assert error.status_msg == "invalid params, task not found: '12345'"


def test_rate_limited_carries_retry_after() -> None:
    assert RateLimited().retry_after_s is None
    error = RateLimited("20 requests per minute", retry_after_s=2.5)
    assert error.retry_after_s == 2.5
    assert error.status_msg == "rate limit, 20 requests per minute"


def test_violation_prints_its_message() -> None:
    assert str(Violation(field="model", message="unsupported model: 'x'")) == (
        "unsupported model: 'x'"
    )


def test_task_cancelled_is_not_an_api_error() -> None:
    assert not issubclass(TaskCancelled, ReelserveError)
    assert issubclass(TaskCancelled, Exception)


def test_every_api_error_is_in_the_tree() -> None:
    public = [
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, Exception) and obj is not TaskCancelled
    ]
    assert all(issubclass(cls, ReelserveError) for cls in public)
    assert all(cls.__name__ in (errors.__doc__ or "") for cls in public)  # the drawing is current
