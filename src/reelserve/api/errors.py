"""The one table that turns domain errors into responses, per dialect.

MiniMax dialect: HTTP 200 with ``base_resp`` for every documented error (MINIMAX_API.md §1);
rate limits add a ``Retry-After`` header. Vtrix dialect (seed 002): HTTP status codes with an
``error`` object.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from reelserve.api.schemas import SUCCESS
from reelserve.domain.errors import (
    InsufficientBalance,
    NotFound,
    RateLimited,
    ReelserveError,
    ServiceUnavailable,
    Unauthorized,
)
from reelserve.domain.idempotency import IdempotencyConflict, IdempotencyState


def base_resp(error: ReelserveError | None = None) -> dict[str, Any]:
    if error is None:
        return dict(SUCCESS)
    return {"status_code": error.code, "status_msg": error.status_msg}


def minimax_error(error: ReelserveError, **extra: Any) -> JSONResponse:
    headers = {}
    if isinstance(error, RateLimited) and error.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after_s)))
    status = 200
    if isinstance(error, IdempotencyConflict):  # an extension: IETF idempotency draft statuses
        status = 409 if error.state is IdempotencyState.IN_FLIGHT else 422
    return JSONResponse(
        {**extra, "base_resp": base_resp(error)}, headers=headers, status_code=status
    )


_VTRIX_STATUS: list[tuple[type[ReelserveError], int]] = [
    (Unauthorized, 401),
    (InsufficientBalance, 403),
    (RateLimited, 429),
    (NotFound, 404),
    (ServiceUnavailable, 503),
]


def vtrix_error(error: ReelserveError) -> JSONResponse:
    status = next((code for kind, code in _VTRIX_STATUS if isinstance(error, kind)), 400)
    if error.code in (1000, 1013) and status == 400:
        status = 500
    return JSONResponse(
        {"error": {"code": error.code, "error_message": error.status_msg}}, status_code=status
    )
