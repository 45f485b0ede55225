"""Callback bodies, one renderer per wire dialect, chosen by the dialect that created the task.

The outbox keeps a neutral event (task, status, dialect); the body is rendered when it is sent.
A dialect with its own callback shape (OpenAI, MiniMax V2) adds a renderer here under its name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from types import MappingProxyType

from reelserve.domain.deliveries import EVENTS, CallbackEvent
from reelserve.domain.tasks import TaskStatus
from reelserve.ports import CallbackRenderer

MINIMAX = "minimax"


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


RENDERERS: Mapping[str, CallbackRenderer] = MappingProxyType({MINIMAX: MiniMaxV1Callback()})


def renderer_for(renderers: Mapping[str, CallbackRenderer], dialect: str) -> CallbackRenderer:
    """The dialect's renderer; a task from a dialect without its own callbacks gets MiniMax's."""
    return renderers.get(dialect) or renderers[MINIMAX]
