"""``GET /v1/tasks/{task_id}/events``: a task's status and progress as server-sent events.

One loop per process reads the watched tasks (every ``events_poll_s``, 0.3 s by default) and
wakes the streams whose task changed (``event_hub``); a stream sends an event whenever what a
viewer would see changed, and ends after the terminal event, or when its key is revoked. A key
may hold ``events_max_streams_per_key`` streams at once (1002 past it).

Event ids grow monotonically per task, because they are computed from the task's state, not
counted per connection: attempt, then phase, then step, then place in the queue. So a client
that reconnects with ``Last-Event-ID`` (or ``?last_event_id=``) gets only newer states, and the
terminal event has the largest id of all. Authentication is the usual ``Authorization`` header:
the web studio reads the stream with ``fetch()``, so the key never appears in a URL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from reelserve.api.deps import ContainerDep, OwnerDep, is_digits
from reelserve.api.event_hub import EventHub, Watch
from reelserve.api.schemas import ErrorOut, inline_schema
from reelserve.api.tasks_ext import task_view
from reelserve.bootstrap import Container
from reelserve.domain.keys import ApiKey
from reelserve.domain.tasks import Phase, Task, TaskStatus

router = APIRouter(tags=["tasks (reelserve extension)"])

KEEPALIVE_S = 15.0
TERMINAL_ID = 10**15 - 1
_PHASES = list(Phase)
_QUEUE_SLOTS = 10_000

_EXAMPLE = (
    "retry: 1000\n\n"
    'id: 100000009999\nevent: progress\ndata: {"task_id": "106916112212032", '
    '"status": "queued", "progress": 0, "phase": "queued", "queue_position": 0, "eta_s": 4.1}\n\n'
    'id: 100020610000\nevent: progress\ndata: {"status": "processing", "progress": 41, '
    '"phase": "rendering", "step": 61, "total": 150, "eta_s": 2.3}\n\n'
    'id: 999999999999999\nevent: done\ndata: {"status": "succeeded", "progress": 100, '
    '"file_id": "106916187645952"}\n\n'
)


def event_id(task: Task, queue_position: int | None) -> int:
    """A number that only grows as the task moves forward (see the module docstring)."""
    if task.status.terminal:
        return TERMINAL_ID
    # A queued task belongs to its next attempt: after a lost lease it is queued again with
    # ``attempts`` already counting the lost run, so its ids still go up.
    attempt = task.attempts + 1 if task.status is TaskStatus.QUEUED else task.attempts
    phase = _PHASES.index(task.progress.phase)
    step = min(task.progress.step, 99_999)
    closer = _QUEUE_SLOTS - 1 - min(queue_position or 0, _QUEUE_SLOTS - 1)
    return ((attempt * 100 + phase) * 100_000 + step) * _QUEUE_SLOTS + closer


def _format(event_id: int, name: str, data: dict[str, Any]) -> str:
    return f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data)}\n\n"


def _snapshot(container: Container, owner: ApiKey, task_id: str) -> tuple[int, dict[str, Any]]:
    task = container.tasks.get(owner, task_id)
    view = task_view(container, task)
    return event_id(task, view["queue_position"]), view


def event_hub(request: Request, container: Container) -> EventHub:
    """The app's hub, made on first use from the settings (``app.state.events_poll_s`` wins)."""
    state = request.app.state
    hub: EventHub | None = getattr(state, "event_hub", None)
    if hub is None:
        settings = container.settings
        hub = EventHub(
            container,
            _snapshot,
            poll_s=float(getattr(state, "events_poll_s", settings.events_poll_s)),
            per_key=settings.events_max_streams_per_key,
            shared=settings.events_shared,
        )
        state.event_hub = hub
    return hub


async def _stream(request: Request, hub: EventHub, watch: Watch, last: int) -> AsyncIterator[str]:
    try:
        yield "retry: 1000\n\n"
        while not watch.closed:
            changed, latest = watch.changed, watch.latest
            if latest is not None and latest[0] > last:
                last, view = latest
                yield _format(last, "done" if last == TERMINAL_ID else "progress", view)
            if (latest and latest[0] == TERMINAL_ID) or await request.is_disconnected():
                return
            try:
                await asyncio.wait_for(changed.wait(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"  # proxies close idle connections; a comment keeps it open
    finally:
        hub.close(watch)


@router.get(
    "/v1/tasks/{task_id}/events",
    summary="Live status and progress as server-sent events (resumable with Last-Event-ID)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The event stream; a MiniMax error (JSON) for an unknown task.",
            "content": {
                "text/event-stream": {"schema": {"type": "string"}, "example": _EXAMPLE},
                "application/json": {"schema": inline_schema(ErrorOut)},
            },
        }
    },
)
async def task_events(
    request: Request,
    container: ContainerDep,
    owner: OwnerDep,
    task_id: str,
    last_event_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id: str | None = None,
) -> StreamingResponse:
    # Unknown or foreign, or over the key's cap: a base_resp error, not a stream.
    await run_in_threadpool(container.tasks.get, owner, task_id)
    resume = (last_event_header or last_event_id or "").strip()
    last = int(resume) if is_digits(resume, max_len=20) else -1
    hub = event_hub(request, container)
    watch = hub.open(owner, task_id)
    return StreamingResponse(
        _stream(request, hub, watch, last),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
