"""Domain errors as OpenAI's error object, with real HTTP statuses; ``param`` names the field
in this dialect's words (``seconds``, ``size``, ``input_reference``)."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from reelserve.api.dialects.openai.schemas import ErrorBody, ErrorOut
from reelserve.domain.errors import (
    InsufficientBalance,
    InvalidParams,
    NoRoute,
    NotFound,
    RateLimited,
    ReelserveError,
    SensitiveInput,
    ServiceUnavailable,
    Unauthorized,
)
from reelserve.domain.idempotency import IdempotencyConflict, IdempotencyState

# The domain's field names as this dialect spells them.
FIELDS = {
    "duration": "seconds",
    "resolution": "size",
    "first_frame_image": "input_reference",
    "last_frame_image": "input_reference",
}

# (error class, HTTP status, type, code); the first match wins.
_TABLE: list[tuple[type[ReelserveError], int, str, str | None]] = [
    (Unauthorized, 401, "invalid_request_error", "invalid_api_key"),
    (InsufficientBalance, 429, "insufficient_quota", "insufficient_quota"),
    (RateLimited, 429, "requests", "rate_limit_exceeded"),
    (NotFound, 404, "invalid_request_error", None),
    (NoRoute, 404, "invalid_request_error", None),  # 405 set by the app for a wrong method
    (SensitiveInput, 400, "invalid_request_error", "moderation_blocked"),
    (InvalidParams, 400, "invalid_request_error", "invalid_value"),
    (ServiceUnavailable, 503, "server_error", "service_unavailable"),
]


def _param_and_message(error: ReelserveError) -> tuple[str | None, str]:
    if not isinstance(error, InvalidParams) or not error.violations:
        return None, error.status_msg
    first = error.violations[0].field.split(".")[0].split("[")[0] or None
    param = FIELDS.get(first, first) if first else None
    messages = []
    for v in error.violations:
        head = v.field.split(".")[0].split("[")[0]
        wire = FIELDS.get(head)
        messages.append(wire + v.message.removeprefix(head) if wire else v.message)
    return param, "; ".join(messages)


def openai_error(error: ReelserveError) -> JSONResponse:
    status, kind, code = 500, "server_error", None
    for cls, http, etype, ecode in _TABLE:
        if isinstance(error, cls):
            status, kind, code = http, etype, ecode
            break
    if isinstance(error, IdempotencyConflict):
        status = 409 if error.state is IdempotencyState.IN_FLIGHT else 422
    param, message = _param_and_message(error)
    if isinstance(error, NotFound):
        message = f"{error.what} not found: {error.ident!r}"
    headers = {}
    if isinstance(error, (RateLimited, ServiceUnavailable)) and error.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after_s)))
    body = ErrorOut(error=ErrorBody(message=message, type=kind, param=param, code=code))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)
