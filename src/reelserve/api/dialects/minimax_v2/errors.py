"""Domain errors as V2's ``{"type": "error", "error": {type, message}}`` with real statuses."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from reelserve.api.dialects.minimax_v2.schemas import ErrorBody, ErrorOut
from reelserve.domain.errors import (
    InsufficientBalance,
    InvalidParams,
    NoRoute,
    NotFound,
    RateLimited,
    ReelserveError,
    ServiceUnavailable,
    Unauthorized,
)
from reelserve.domain.idempotency import IdempotencyConflict, IdempotencyState

_TABLE: list[tuple[type[ReelserveError], int, str]] = [
    (Unauthorized, 401, "authentication_error"),
    (InsufficientBalance, 402, "insufficient_balance_error"),
    (RateLimited, 429, "rate_limit_error"),
    (NotFound, 404, "not_found_error"),
    (NoRoute, 404, "not_found_error"),  # 405 set by the app for a wrong method
    (InvalidParams, 400, "bad_request_error"),
    (ServiceUnavailable, 503, "api_error"),
]


def v2_error(error: ReelserveError) -> JSONResponse:
    status, kind = 500, "api_error"
    for cls, http, name in _TABLE:
        if isinstance(error, cls):
            status, kind = http, name
            break
    if isinstance(error, IdempotencyConflict):
        status = 409 if error.state is IdempotencyState.IN_FLIGHT else 422
    headers = {}
    if isinstance(error, (RateLimited, ServiceUnavailable)) and error.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after_s)))
    body = ErrorOut(error=ErrorBody(type=kind, message=error.status_msg))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)
