"""Callback extensions: a task's delivery log, redelivery, and the key's signing secret.

Errors keep the MiniMax shape (HTTP 200 + ``base_resp``) like the v1 routes. docs/webhooks.md
describes the protocol.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from reelserve.api.deps import ContainerDep, OwnerDep, read_body
from reelserve.api.errors import base_resp
from reelserve.api.schemas import (
    SUCCESS,
    inline_schema,
    iso,
    ok_example,
    parse_body,
    violations_from,
)
from reelserve.domain.deliveries import AttemptRecord, DeliveryRecord
from reelserve.domain.errors import InvalidParams

router = APIRouter(tags=["callbacks (reelserve extension)"])

_DELIVERY_EXAMPLE: dict[str, Any] = {
    "webhook_id": "msg_17640000000001234_success",
    "event": "success",
    "url": "https://example.com/hooks/minimax",
    "state": "delivered",
    "attempts": 2,
    "next_attempt_at": None,
    "last_http_status": 200,
    "last_error": "",
    "created_at": "2025-01-01T12:00:30+00:00",
    "delivered_at": "2025-01-01T12:00:35+00:00",
    "log": [
        {"attempt": 1, "at": "2025-01-01T12:00:30+00:00", "http_status": 503,
         "outcome": "retry", "duration_ms": 41, "error": "HTTP 503"},
        {"attempt": 2, "at": "2025-01-01T12:00:35+00:00", "http_status": 200,
         "outcome": "delivered", "duration_ms": 12, "error": ""},
    ],
}  # fmt: skip


def _attempt_view(attempt: AttemptRecord) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "at": iso(attempt.at),
        "http_status": attempt.http_status,
        "outcome": attempt.outcome,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
    }


def delivery_view(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "webhook_id": record.id,
        "event": record.event,
        "url": record.url,
        "state": record.state,
        "attempts": record.attempts,
        "next_attempt_at": iso(record.next_at),
        "last_http_status": record.last_http_status,
        "last_error": record.last_error,
        "created_at": iso(record.created_at),
        "delivered_at": iso(record.delivered_at),
        "log": [_attempt_view(a) for a in record.log],
    }


class RedeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook_id: str | None = None  # default: the task's latest push


@router.get(
    "/v1/tasks/{task_id}/deliveries",
    summary="The callback pushes of a task and every delivery attempt",
    responses=ok_example(
        {"task_id": "17640000000001234", "deliveries": [_DELIVERY_EXAMPLE], "base_resp": SUCCESS}
    ),
)
def list_deliveries(container: ContainerDep, owner: OwnerDep, task_id: str) -> JSONResponse:
    records = container.webhooks.log(owner, task_id)
    return JSONResponse(
        {
            "task_id": task_id,
            "deliveries": [delivery_view(r) for r in records],
            "base_resp": base_resp(),
        }
    )


@router.post(
    "/v1/tasks/{task_id}/deliveries/redeliver",
    summary="Send a push again now, with a fresh attempt budget (body: optional webhook_id)",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": inline_schema(RedeliverIn)}},
        }
    },
    responses=ok_example(
        {
            "task_id": "17640000000001234",
            "delivery": {**_DELIVERY_EXAMPLE, "state": "pending", "attempts": 0, "log": []},
            "base_resp": SUCCESS,
        }
    ),
)
async def redeliver(
    request: Request, container: ContainerDep, owner: OwnerDep, task_id: str
) -> JSONResponse:
    raw = await read_body(request, 64 * 1024)
    try:
        wanted = RedeliverIn.model_validate(parse_body(raw)) if raw.strip() else RedeliverIn()
    except ValidationError as error:
        raise InvalidParams(violations_from(error)) from None
    record = await run_in_threadpool(
        container.webhooks.redeliver, owner, task_id, wanted.webhook_id
    )
    return JSONResponse(
        {"task_id": task_id, "delivery": delivery_view(record), "base_resp": base_resp()}
    )


@router.get(
    "/v1/webhooks/secret",
    summary="This key's Standard Webhooks signing secret (whsec_…), to verify pushes",
    responses=ok_example(
        {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base_resp": SUCCESS}
    ),
)
def webhook_secret(owner: OwnerDep) -> JSONResponse:
    return JSONResponse({"secret": owner.webhook_secret, "base_resp": base_resp()})
