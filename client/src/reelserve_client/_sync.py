"""The synchronous client."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from reelserve_client import _core
from reelserve_client.errors import AuthError, ConnectionFailed, WaitTimeout
from reelserve_client.models import FileInfo, GeneratedVideo, Task, TaskPage

ProgressHook = Callable[[Task], None]


class Client:
    """A client for reelserve or any MiniMax-compatible video API (``https://api.minimax.io``).

    ``base_url`` and ``api_key`` default to ``REELSERVE_URL`` and ``REELSERVE_API_KEY``.
    Refused requests raise typed errors (``reelserve_client.errors``); 1002 and HTTP 5xx are
    retried ``max_retries`` times with exponential backoff (or the server's ``Retry-After``).
    ``transport`` is any httpx transport, e.g. ``httpx.ASGITransport(app=app)`` for tests.
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

    # --- plumbing -------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if not self.api_key:
            raise AuthError(1004, "authentication failed, no API key (set REELSERVE_API_KEY)")
        return {"Authorization": f"Bearer {self.api_key}"}

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = self._headers()
        for attempt in range(self.max_retries + 1):
            try:
                return _core.decode(self._http.request(method, path, headers=headers, **kwargs))
            except Exception as error:
                if attempt >= self.max_retries or not _core.is_retryable(error):
                    if isinstance(error, httpx.TransportError):
                        raise ConnectionFailed(f"cannot reach {self.base_url}: {error}") from error
                    raise
                time.sleep(_core.backoff_delay(error, attempt, self.backoff))
        raise AssertionError("unreachable")

    # --- the four MiniMax v1 endpoints ----------------------------------------------------

    def create_video(self, **fields: Any) -> str:
        """``POST /v1/video_generation``; the new task id. Local image paths become data URLs."""
        body = self._call("POST", "/v1/video_generation", json=_core.create_body(fields))
        return str(body["task_id"])

    def get_task(self, task_id: str) -> Task:
        """``GET /v1/query/video_generation``."""
        return Task.from_query(
            self._call("GET", "/v1/query/video_generation", params={"task_id": task_id})
        )

    def retrieve_file(self, file_id: str) -> FileInfo:
        """``GET /v1/files/retrieve``: metadata and a signed download URL."""
        body = self._call("GET", "/v1/files/retrieve", params={"file_id": file_id})
        return FileInfo.from_retrieve(body)

    def download(self, file_id: str, path: str | Path) -> Path:
        """Save a file to ``path`` (written to a temporary name, then renamed)."""
        info = self.retrieve_file(file_id)
        target = Path(path)
        partial = target.with_name(target.name + ".part")
        # The signed URL is the credential; the API key goes only to the API's own host.
        headers = self._headers() if _core.same_origin(info.download_url, self.base_url) else {}
        try:
            with self._http.stream("GET", info.download_url, headers=headers) as response:
                if response.status_code != 200:
                    response.read()
                    _core.decode(response)
                with partial.open("wb") as sink:
                    for chunk in response.iter_bytes(1 << 16):
                        sink.write(chunk)
        except httpx.TransportError as error:
            raise ConnectionFailed(f"download of file {file_id} failed: {error}") from error
        partial.replace(target)
        return target

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
        deadline = time.monotonic() + timeout
        interval = self.poll_interval if poll_interval is None else poll_interval
        while True:
            task = self.get_task(task_id)
            if on_progress is not None:
                on_progress(task)
            if _core.check_finished(task):
                return task
            if time.monotonic() >= deadline:
                raise WaitTimeout(task, timeout)
            time.sleep(max(0.0, min(interval, deadline - time.monotonic())))

    def generate(
        self,
        prompt: str | None = None,
        *,
        output: str | Path,
        timeout: float = 1800.0,
        on_progress: ProgressHook | None = None,
        **fields: Any,
    ) -> GeneratedVideo:
        """Create, wait and download in one call."""
        task_id = self.create_video(prompt=prompt, **fields)
        task = self.wait(task_id, timeout=timeout, on_progress=on_progress)
        assert task.file_id is not None
        info = self.retrieve_file(task.file_id)
        path = self.download(task.file_id, output)
        return GeneratedVideo(task=task, file=info, path=path)

    # --- reelserve extensions (not on MiniMax's own service) ------------------------------

    def list_tasks(
        self, *, status: str | None = None, limit: int = 20, cursor: str | None = None
    ) -> TaskPage:
        """``GET /v1/tasks``: this key's tasks, newest first."""
        params = _core.list_params(status, limit, cursor)
        body = self._call("GET", "/v1/tasks", params=params)
        return TaskPage(tasks=list(body.get("tasks", [])), next_cursor=body.get("next_cursor"))

    def task_details(self, task_id: str) -> dict[str, Any]:
        """``GET /v1/tasks/{id}``: the rich view (prompt, phase, ETA, error, cost…)."""
        return self._call("GET", f"/v1/tasks/{task_id}")

    def cancel(self, task_id: str) -> dict[str, Any]:
        """``POST /v1/tasks/{id}/cancel``: queued tasks stop at once, running ones soon after."""
        return self._call("POST", f"/v1/tasks/{task_id}/cancel")

    def models(self) -> dict[str, Any]:
        """``GET /v1/models``: the catalog (modes, resolutions × durations, camera moves)."""
        return self._call("GET", "/v1/models")

    def events(self, task_id: str, *, last_event_id: str | None = None) -> Iterator[dict[str, Any]]:
        """``GET /v1/tasks/{id}/events``: server-sent progress events until the task ends."""
        headers = self._headers()
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        with self._http.stream(
            "GET", f"/v1/tasks/{task_id}/events", headers=headers, timeout=None
        ) as response:
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                response.read()
                _core.decode(response)
            yield from _core.sse_events(response.iter_lines())
