"""The asynchronous client: the same operations as ``Client`` (``_flows``), awaited."""

from __future__ import annotations

import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from reelserve_client import _core, _flows
from reelserve_client.models import FileInfo, GeneratedVideo, Task, TaskPage

ProgressHook = Callable[[Task], Awaitable[None] | None]
T = TypeVar("T")


class AsyncClient:
    """``Client`` for asyncio: the same methods, awaited; ``on_progress`` may be a coroutine
    function. ``transport`` is any async httpx transport, e.g. ``httpx.ASGITransport(app=app)``.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        poll_interval: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = httpx.URL(base_url or os.environ.get("REELSERVE_URL") or _core.DEFAULT_URL)
        self.api_key = api_key if api_key is not None else os.environ.get("REELSERVE_API_KEY", "")
        self.max_retries = max_retries
        self.backoff = backoff
        self.poll_interval = poll_interval
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    # --- the driver -----------------------------------------------------------------------

    async def _run(self, flow: _flows.Flow[T]) -> T:
        outcome: tuple[Any, BaseException | None] = (None, None)
        try:
            while True:
                result, error = outcome
                step = flow.throw(error) if error is not None else flow.send(result)
                try:
                    outcome = (await self._perform(step), None)
                except Exception as failed:
                    outcome = (None, failed)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    async def _perform(self, step: _flows.Step) -> Any:
        if isinstance(step, _flows.Send):
            return await self._http.request(
                step.method, step.url, headers=step.headers, **step.options
            )
        if isinstance(step, _flows.Sleep):
            await asyncio.sleep(step.seconds)
        elif isinstance(step, _flows.Report):
            result = step.hook(step.task)
            if inspect.isawaitable(result):
                await result
        else:
            async with self._http.stream("GET", step.url, headers=step.headers) as response:
                if response.status_code != 200:
                    await response.aread()
                    _core.decode(response)
                with step.partial.open("wb") as sink:
                    async for chunk in response.aiter_bytes(1 << 16):
                        sink.write(chunk)
        return None

    # --- the four MiniMax v1 endpoints ----------------------------------------------------

    async def create_video(self, *, idempotency_key: str | None = None, **fields: Any) -> str:
        """``POST /v1/video_generation``; the new task id. Local image paths become data URLs."""
        return await self._run(_flows.create_video(self, fields, idempotency_key))

    async def get_task(self, task_id: str) -> Task:
        """``GET /v1/query/video_generation``."""
        return await self._run(_flows.get_task(self, task_id))

    async def retrieve_file(self, file_id: str) -> FileInfo:
        """``GET /v1/files/retrieve``: metadata and a signed download URL."""
        return await self._run(_flows.retrieve_file(self, file_id))

    async def download(self, file_id: str, path: str | Path) -> Path:
        """Save a file to ``path`` (written to a temporary name, then renamed)."""
        return await self._run(_flows.download(self, file_id, path))

    # --- conveniences ---------------------------------------------------------------------

    async def wait(
        self,
        task_id: str,
        *,
        timeout: float = 1800.0,
        on_progress: ProgressHook | None = None,
        poll_interval: float | None = None,
    ) -> Task:
        """Poll until the task succeeds (returned) or fails (``TaskFailed``); ``WaitTimeout``."""
        return await self._run(_flows.wait(self, task_id, timeout, on_progress, poll_interval))

    async def generate(
        self,
        prompt: str | None = None,
        *,
        output: str | Path,
        timeout: float = 1800.0,
        on_progress: ProgressHook | None = None,
        idempotency_key: str | None = None,
        **fields: Any,
    ) -> GeneratedVideo:
        """Create, wait and download in one call."""
        flow = _flows.generate(
            self,
            {"prompt": prompt, **fields},
            output=output,
            timeout=timeout,
            on_progress=on_progress,
            idempotency_key=idempotency_key,
        )
        return await self._run(flow)

    # --- reelserve extensions (not on MiniMax's own service) ------------------------------

    async def list_tasks(
        self, *, status: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> TaskPage:
        """``GET /v1/tasks``: this key's tasks, newest first."""
        return await self._run(_flows.list_tasks(self, status, limit, cursor))

    async def task_details(self, task_id: str) -> dict[str, Any]:
        """``GET /v1/tasks/{id}``: the rich view (prompt, phase, ETA, error, cost…)."""
        return await self._run(_flows.call(self, "GET", f"/v1/tasks/{task_id}"))

    async def cancel(self, task_id: str) -> dict[str, Any]:
        """``POST /v1/tasks/{id}/cancel``: queued tasks stop at once, running ones soon after."""
        return await self._run(_flows.call(self, "POST", f"/v1/tasks/{task_id}/cancel"))

    async def models(self) -> dict[str, Any]:
        """``GET /v1/models``: the catalog (modes, resolutions × durations, camera moves)."""
        return await self._run(_flows.call(self, "GET", "/v1/models"))

    async def events(
        self, task_id: str, *, last_event_id: str | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """``GET /v1/tasks/{id}/events``: server-sent progress events until the task ends."""
        step = _flows.events_request(self, task_id, last_event_id)
        async with self._http.stream(
            "GET", step.url, headers=step.headers, timeout=None
        ) as response:
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                await response.aread()
                _core.decode(response)
            parser = _core.SseParser()
            async for line in response.aiter_lines():
                event = parser.feed(line)
                if event is not None:
                    yield event
