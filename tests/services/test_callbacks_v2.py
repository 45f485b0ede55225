"""Callback bodies per dialect: V2 tasks get V2's task object; other dialects fall back to v1."""

from __future__ import annotations

import json

from reelserve.domain.deliveries import CallbackEvent
from reelserve.domain.tasks import TaskStatus
from reelserve.services.callbacks import RENDERERS, renderer_for


def _body(dialect: str, status: TaskStatus, message: str = "") -> object:
    event = CallbackEvent(task_id="7", status=status, dialect=dialect, error_message=message)
    return json.loads(renderer_for(RENDERERS, dialect).render(event))


def test_v2_pushes_its_task_object_with_v2_statuses() -> None:
    assert _body("minimax_v2", TaskStatus.PROCESSING) == {
        "task": {"id": "7", "status": "running", "error": None}
    }
    cancelled = _body("minimax_v2", TaskStatus.CANCELLED, "cancelled by the user")
    assert cancelled == {
        "task": {
            "id": "7",
            "status": "cancelled",
            "error": {"code": "cancelled", "message": "cancelled by the user"},
        }
    }


def test_openai_tasks_fall_back_to_the_v1_body() -> None:
    body = _body("openai", TaskStatus.FAILED, "boom")
    assert body == {
        "task_id": "7",
        "status": "failed",
        "file_id": "",
        "base_resp": {"status_code": 1000, "status_msg": "boom"},
    }
