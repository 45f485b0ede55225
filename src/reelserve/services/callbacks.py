"""Callback bodies, one renderer per wire dialect, chosen by the dialect that created the task.

The outbox keeps a neutral event (task, status, dialect); the body is rendered when it is sent.
MiniMax v1 (and Vtrix) tasks get v1's push; MiniMax V2 tasks get V2's query task object (MiniMax
documents no V2 push shape, so reelserve pushes what a V2 query answers, without the signed URL:
query for it). OpenAI's Videos API has no per-request callbacks; a task created there that still
has a callback (a key's webhook) gets MiniMax v1's body, the fallback.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType

from reelserve.domain.deliveries import EVENTS, CallbackEvent
from reelserve.domain.tasks import TaskStatus
from reelserve.ports import CallbackRenderer

MINIMAX = "minimax"
MINIMAX_V2 = "minimax_v2"

V2_STATUS: Mapping[TaskStatus, str] = MappingProxyType(
    {
        TaskStatus.QUEUED: "queued",
        TaskStatus.PREPARING: "running",
        TaskStatus.PROCESSING: "running",
        TaskStatus.SUCCEEDED: "succeeded",
        TaskStatus.FAILED: "failed",
        TaskStatus.CANCELLED: "cancelled",
    }
)


class MiniMaxV1Callback:
    """The §5 push: the query body's shape without video size, with a lowercase status."""

    def render(self, event: CallbackEvent) -> bytes:
        status = event.status
        if status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
            resp = {
                "status_code": event.error_code or 1000,
                "status_msg": event.error_message or "unknown error",
            }
        else:
            resp = {"status_code": 0, "status_msg": "success"}
        body = {
            "task_id": event.task_id,
            "status": EVENTS[status],
            "file_id": (event.file_id or "") if status is TaskStatus.SUCCEEDED else "",
            "base_resp": resp,
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class MiniMaxV2Callback:
    """``{"task": {...}}`` as the V2 query answers it: id, status, error (the rest: query)."""

    def render(self, event: CallbackEvent) -> bytes:
        error = None
        if event.status is TaskStatus.CANCELLED:
            error = {"code": "cancelled", "message": event.error_message or "cancelled"}
        elif event.status is TaskStatus.FAILED:
            error = {"code": "generation_failed", "message": event.error_message or "failed"}
        task = {"id": event.task_id, "status": V2_STATUS[event.status], "error": error}
        return json.dumps({"task": task}, separators=(",", ":"), ensure_ascii=False).encode()


RENDERERS: Mapping[str, CallbackRenderer] = MappingProxyType(
    {MINIMAX: MiniMaxV1Callback(), MINIMAX_V2: MiniMaxV2Callback()}
)


def renderer_for(renderers: Mapping[str, CallbackRenderer], dialect: str) -> CallbackRenderer:
    """The dialect's renderer; a task from a dialect without its own callbacks gets MiniMax's."""
    return renderers.get(dialect) or renderers[MINIMAX]
