"""Every client operation, written once as a generator of I/O steps (no I/O here).

An operation yields what it needs done — send a request, sleep, save a download, call the
progress hook — and receives the result (or has the transport's exception thrown in). ``Client``
and ``AsyncClient`` are thin drivers that perform the steps with httpx's sync or async API, so
the retry policy, the Idempotency-Key, polling and the key's scheme rule exist once.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx

from reelserve_client import _core
from reelserve_client.errors import AuthError, ConnectionFailed, WaitTimeout
from reelserve_client.models import FileInfo, GeneratedVideo, Task, TaskPage

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Send:
    method: str
    url: str
    headers: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)  # params=, json=


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Save:
    """Stream ``url`` into ``partial``; the driver decodes a non-200 answer as an error."""

    url: str
    headers: dict[str, str]
    partial: Path


@dataclass(frozen=True, slots=True)
class Report:
    """Call the caller's progress hook with ``task`` (awaited if it returns an awaitable)."""

    hook: Callable[[Task], Any]
    task: Task


Step = Send | Sleep | Save | Report
Flow = Generator[Step, Any, T]


class Config(Protocol):
    base_url: httpx.URL
    api_key: str
    max_retries: int
    backoff: float
    poll_interval: float


def auth_headers(config: Config) -> dict[str, str]:
    if not config.api_key:
        raise AuthError(1004, "authentication failed, no API key (set REELSERVE_API_KEY)")
    return {"Authorization": f"Bearer {config.api_key}"}


def call(
    config: Config, method: str, path: str, *, headers: dict[str, str] | None = None, **options: Any
) -> Flow[dict[str, Any]]:
    """One API call, retried on 1002, HTTP 5xx and transport errors with backoff."""
    sent = {**auth_headers(config), **(headers or {})}
    for attempt in range(config.max_retries + 1):
        try:
            response = yield Send(method, path, sent, options)
            return _core.decode(response)
        except Exception as error:
            if attempt >= config.max_retries or not _core.is_retryable(error):
                if isinstance(error, httpx.TransportError):
                    raise ConnectionFailed(f"cannot reach {config.base_url}: {error}") from error
                raise
            yield Sleep(_core.backoff_delay(error, attempt, config.backoff))
    raise AssertionError("unreachable")


def create_video(config: Config, fields: dict[str, Any], idempotency_key: str | None) -> Flow[str]:
    """A create carries an ``Idempotency-Key`` (the caller's, or a fresh one), the same on every
    retry: when an answer is lost and the request is sent again, the server returns the task
    the first one made instead of making (and charging) a second."""
    key = idempotency_key or f"rsc-{uuid.uuid4()}"
    body = yield from call(
        config,
        "POST",
        "/v1/video_generation",
        headers={"Idempotency-Key": key},
        json=_core.create_body(fields),
    )
    return str(body["task_id"])


def get_task(config: Config, task_id: str) -> Flow[Task]:
    body = yield from call(config, "GET", "/v1/query/video_generation", params={"task_id": task_id})
    return Task.from_query(body)


def retrieve_file(config: Config, file_id: str) -> Flow[FileInfo]:
    body = yield from call(config, "GET", "/v1/files/retrieve", params={"file_id": file_id})
    return FileInfo.from_retrieve(body)


def save(config: Config, info: FileInfo, path: str | Path) -> Flow[Path]:
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    # The signed URL is the credential; the API key goes only to the API's own origin.
    headers = (
        auth_headers(config) if _core.key_may_go_to(info.download_url, config.base_url) else {}
    )
    try:
        yield Save(info.download_url, headers, partial)
    except httpx.TransportError as error:
        raise ConnectionFailed(f"download of file {info.file_id} failed: {error}") from error
    partial.replace(target)
    return target


def download(config: Config, file_id: str, path: str | Path) -> Flow[Path]:
    info = yield from retrieve_file(config, file_id)
    return (yield from save(config, info, path))


def wait(
    config: Config,
    task_id: str,
    timeout: float,
    on_progress: Callable[[Task], Any] | None,
    poll_interval: float | None,
) -> Flow[Task]:
    deadline = time.monotonic() + timeout
    interval = config.poll_interval if poll_interval is None else poll_interval
    while True:
        task = yield from get_task(config, task_id)
        if on_progress is not None:
            yield Report(on_progress, task)
        if _core.check_finished(task):
            return task
        if time.monotonic() >= deadline:
            raise WaitTimeout(task, timeout)
        yield Sleep(max(0.0, min(interval, deadline - time.monotonic())))


def generate(
    config: Config,
    fields: dict[str, Any],
    *,
    output: str | Path,
    timeout: float,
    on_progress: Callable[[Task], Any] | None,
    idempotency_key: str | None,
) -> Flow[GeneratedVideo]:
    task_id = yield from create_video(config, fields, idempotency_key)
    task = yield from wait(config, task_id, timeout, on_progress, None)
    assert task.file_id is not None
    info = yield from retrieve_file(config, task.file_id)
    path = yield from save(config, info, output)
    return GeneratedVideo(task=task, file=info, path=path)


def list_tasks(
    config: Config, status: str | None, limit: int, cursor: str | None
) -> Flow[TaskPage]:
    params = _core.list_params(status, limit, cursor)
    body = yield from call(config, "GET", "/v1/tasks", params=params)
    return TaskPage(tasks=list(body.get("tasks", [])), next_cursor=body.get("next_cursor"))


def events_request(config: Config, task_id: str, last_event_id: str | None) -> Send:
    headers = auth_headers(config)
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    return Send("GET", f"/v1/tasks/{task_id}/events", headers)
