"""What the sync and async clients share: request bodies, response decoding, retry policy.

Nothing here does I/O on the network, so both clients stay thin loops around these functions.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from reelserve_client.errors import (
    ApiError,
    InvalidParams,
    RateLimited,
    ServerError,
    TaskFailed,
    error_from_body,
)
from reelserve_client.models import Task

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_MODEL = "MiniMax-Hailuo-02"
IMAGE_FIELDS = ("first_frame_image", "last_frame_image")
_MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"RIFF", "image/webp"))


def image_source(field: str, value: str | Path) -> str:
    """A URL or data URL unchanged; a local file path read and turned into a data URL."""
    text = str(value)
    if not isinstance(value, Path) and text.startswith(("http://", "https://", "data:")):
        return text
    path = Path(text).expanduser()
    if not path.is_file():
        raise InvalidParams(2013, f"invalid params, {field}: no such file {text!r}")
    data = path.read_bytes()
    mime = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
    mime = mime or mimetypes.guess_type(path.name)[0]
    if not mime or not mime.startswith("image/"):
        raise InvalidParams(2013, f"invalid params, {field}: {text!r} is not a JPG, PNG or WebP")
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def create_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The ``POST /v1/video_generation`` body: None values dropped, local images inlined."""
    body = {key: value for key, value in fields.items() if value is not None}
    body.setdefault("model", DEFAULT_MODEL)
    for name in IMAGE_FIELDS:
        if name in body:
            body[name] = image_source(name, body[name])
    refs = body.get("subject_reference")
    if isinstance(refs, list):
        body["subject_reference"] = [
            {
                **ref,
                "image": [
                    image_source(f"subject_reference[{i}].image[{j}]", img)
                    for j, img in enumerate(ref.get("image", []))
                ],
            }
            for i, ref in enumerate(refs)
        ]
    return body


def list_params(status: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"limit": limit}
    if status:
        params["status"] = status
    if cursor:
        params["cursor"] = cursor
    return params


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def decode(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a success; raises the typed error a refusal stands for.

    A query answer whose task ended in ``Fail`` is a success of the query: its ``base_resp``
    describes the task, so it is returned, and ``wait()`` raises ``TaskFailed`` from it.
    """
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("status") == "Fail" and "task_id" in body:
        return body
    error = error_from_body(body, response.status_code, retry_after(response))
    if error is not None:
        raise error
    if not isinstance(body, dict):
        raise ServerError(1000, "the server answered with something other than a JSON object")
    return body


def is_retryable(error: Exception) -> bool:
    if isinstance(error, RateLimited):
        return True
    if isinstance(error, ApiError):
        return error.http_status >= 500
    return isinstance(error, httpx.TransportError)


def backoff_delay(error: Exception, attempt: int, base: float) -> float:
    """Retry-After when the server sent one, else exponential backoff with jitter (≤ 30 s)."""
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return min(30.0, error.retry_after)
    jitter = 0.5 + random.random() / 2  # spread retries of many clients apart
    return min(30.0, base * float(2**attempt) * jitter)


def check_finished(task: Task) -> bool:
    """True when ``task`` succeeded; raises ``TaskFailed`` when it failed."""
    if task.failed:
        raise TaskFailed(task)
    return task.succeeded


_DEFAULT_PORTS = {"http": 80, "https": 443}


def key_may_go_to(url: str, base: httpx.URL) -> bool:
    """Whether the API key may be sent to ``url``: only to the API's own host and port, and
    never over a weaker scheme (an ``http://`` download URL from an ``https://`` API: a proxy
    without ``REELSERVE_PUBLIC_URL`` hands those out)."""
    target = base.join(url)

    def origin(u: httpx.URL) -> tuple[str, int | None]:
        return u.host, u.port or _DEFAULT_PORTS.get(u.scheme)

    weaker = base.scheme == "https" and target.scheme != "https"
    return not weaker and origin(target) == origin(base)


class SseParser:
    """Server-sent events, one line at a time: ``feed`` returns an event when one completes.

    Events are ``{"event": name, "id": id, "data": parsed JSON}``.
    """

    def __init__(self) -> None:
        self._event: dict[str, Any] = {}
        self._data: list[str] = []

    def feed(self, line: str) -> dict[str, Any] | None:
        if not line:
            event, data = self._event, self._data
            self._event, self._data = {}, []
            return (
                {"event": "message", **event, "data": json.loads("\n".join(data))} if data else None
            )
        if not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                self._data.append(value)
            elif name in ("id", "event"):
                self._event[name] = value
        return None


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    parser = SseParser()
    for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event
