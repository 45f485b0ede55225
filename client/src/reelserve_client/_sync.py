"""The synchronous client: performs the steps of the operations in ``_flows`` with httpx."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from reelserve_client import _core, _flows
from reelserve_client.models import FileInfo, GeneratedVideo, Task, TaskPage

ProgressHook = Callable[[Task], None]
T = TypeVar("T")


class Client:
    """A client for reelserve or any MiniMax-compatible video API (``https://api.minimax.io``).

    ``base_url`` and ``api_key`` default to ``REELSERVE_URL`` and ``REELSERVE_API_KEY``.
    Refused requests raise typed errors (``reelserve_client.errors``); 1002, HTTP 5xx and
    transport errors are retried ``max_retries`` times with exponential backoff (or the server's
    ``Retry-After``); a create is retried under the same ``Idempotency-Key``, so a lost answer
    never makes a second task. ``transport`` is any httpx transport, e.g. an in-process app.
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
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = httpx.URL(base_url or os.environ.get("REELSERVE_URL") or _core.DEFAULT_URL)
        self.api_key = api_key if api_key is not None else os.environ.get("REELSERVE_API_KEY", "")
        self.max_retries = max_retries
        self.backoff = backoff
        self.poll_interval = poll_interval
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- the driver -----------------------------------------------------------------------

    def _run(self, flow: _flows.Flow[T]) -> T:
        outcome: tuple[Any, BaseException | None] = (None, None)
        try:
            while True:
                result, error = outcome
                step = flow.throw(error) if error is not None else flow.send(result)
                try:
                    outcome = (self._perform(step), None)
                except Exception as failed:
                    outcome = (None, failed)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]

    def _perform(self, step: _flows.Step) -> Any:
        if isinstance(step, _flows.Send):
            return self._http.request(step.method, step.url, headers=step.headers, **step.options)
        if isinstance(step, _flows.Sleep):
            time.sleep(step.seconds)
        elif isinstance(step, _flows.Report):
            step.hook(step.task)
        else:
            with self._http.stream("GET", step.url, headers=step.headers) as response:
                if response.status_code != 200:
                    response.read()
                    _core.decode(response)
                with step.partial.open("wb") as sink:
                    for chunk in response.iter_bytes(1 << 16):
                        sink.write(chunk)
        return None

    # --- the four MiniMax v1 endpoints ----------------------------------------------------

    def create_video(self, *, idempotency_key: str | None = None, **fields: Any) -> str:
        """``POST /v1/video_generation``; the new task id. Local image paths become data URLs."""
        return self._run(_flows.create_video(self, fields, idempotency_key))

    def get_task(self, task_id: str) -> Task:
        """``GET /v1/query/video_generation``."""
        return self._run(_flows.get_task(self, task_id))

    def retrieve_file(self, file_id: str) -> FileInfo:
        """``GET /v1/files/retrieve``: metadata and a signed download URL."""
        return self._run(_flows.retrieve_file(self, file_id))

    def download(self, file_id: str, path: str | Path) -> Path:
        """Save a file to ``path`` (written to a temporary name, then renamed)."""
        return self._run(_flows.download(self, file_id, path))

    # --- conveniences ---------------------------------------------------------------------

    def wait(
        self,
        task_id: str,
        *,
        timeout: float = 1800.0,
        on_progress: ProgressHook | None = None,
        poll_interval: float | None = None,
    ) -> Task:
        """Poll until the task succeeds (returned) or fails (``TaskFailed``); ``WaitTimeout``."""
        return self._run(_flows.wait(self, task_id, timeout, on_progress, poll_interval))

    def generate(
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
        return self._run(flow)

    # --- reelserve extensions (not on MiniMax's own service) ------------------------------

    def list_tasks(
        self, *, status: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> TaskPage:
        """``GET /v1/tasks``: this key's tasks, newest first."""
        return self._run(_flows.list_tasks(self, status, limit, cursor))

    def task_details(self, task_id: str) -> dict[str, Any]:
        """``GET /v1/tasks/{id}``: the rich view (prompt, phase, ETA, error, cost…)."""
        return self._run(_flows.call(self, "GET", f"/v1/tasks/{task_id}"))

    def cancel(self, task_id: str) -> dict[str, Any]:
        """``POST /v1/tasks/{id}/cancel``: queued tasks stop at once, running ones soon after."""
        return self._run(_flows.call(self, "POST", f"/v1/tasks/{task_id}/cancel"))

    def models(self) -> dict[str, Any]:
        """``GET /v1/models``: the catalog (modes, resolutions × durations, camera moves)."""
        return self._run(_flows.call(self, "GET", "/v1/models"))

    def events(self, task_id: str, *, last_event_id: str | None = None) -> Iterator[dict[str, Any]]:
        """``GET /v1/tasks/{id}/events``: server-sent progress events until the task ends."""
        step = _flows.events_request(self, task_id, last_event_id)
        with self._http.stream("GET", step.url, headers=step.headers, timeout=None) as response:
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                response.read()
                _core.decode(response)
            yield from _core.sse_events(response.iter_lines())
