"""MiniMax V2 (``/v2/video_generation``, MiniMax-H3; DIALECTS.md §2): a content array in,
``{"task": {...}}`` out, real HTTP status codes for errors, and a DELETE that cancels."""

from __future__ import annotations

from typing import Any

from reelserve.adapters.engines.upstream.errors import Rejected, Retryable
from reelserve.adapters.engines.upstream.http import UpstreamHttp, error_text, png_data_url
from reelserve.adapters.engines.upstream.ports import (
    DownloadLink,
    UpstreamJob,
    UpstreamState,
    UpstreamStatus,
    said_cost,
)

_STATES = {
    "queued": UpstreamState.QUEUED,
    "running": UpstreamState.PROCESSING,
    "succeeded": UpstreamState.SUCCEEDED,
    "failed": UpstreamState.FAILED,
    "cancelled": UpstreamState.FAILED,
    "expired": UpstreamState.FAILED,
}
_RATIOS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0, "4:3": 4 / 3, "3:4": 3 / 4, "21:9": 21 / 9}


def resolution_v2(resolution: str) -> str:
    """V2 offers 768P and 2K: 1080P asks for 2K, anything smaller for 768P."""
    return "2K" if resolution == "1080P" else "768P"


def ratio_v2(width: int, height: int, has_image: bool) -> str:
    if has_image:
        return "adaptive"  # follows the first frame
    return min(_RATIOS, key=lambda name: abs(_RATIOS[name] - width / height))


class MinimaxV2Client:
    can_cancel = True

    def __init__(self, http: UpstreamHttp) -> None:
        self._http = http
        self.name = http.name

    def submit(self, job: UpstreamJob) -> str:
        content: list[dict[str, Any]] = [{"type": "text", "text": job.prompt or " "}]
        for role, png in (("first_frame", job.first_frame), ("last_frame", job.last_frame)):
            if png is not None:
                url = {"url": png_data_url(png)}
                content.append({"type": "image_url", "image_url": url, "role": role})
        body = {
            "model": job.model,
            "content": content,
            "resolution": resolution_v2(job.resolution),
            "duration": job.duration,
            "ratio": ratio_v2(job.width, job.height, job.first_frame is not None),
            "aigc_watermark": job.watermark,
        }
        if job.callback_url:
            body["callback_url"] = job.callback_url
        response = self._http.call(
            "POST", "/v2/video_generation", json=body,
            headers={"Idempotency-Key": job.idempotency_key},
        )  # fmt: skip
        task_id = str(self._answer(response).get("task_id") or "")
        if not task_id:
            raise Retryable(self.name, 1000, "the create answer has no task_id")
        return task_id

    def status(self, upstream_id: str) -> UpstreamStatus:
        answer = self._answer(self._http.call("GET", f"/v2/query/video_generation/{upstream_id}"))
        task = answer.get("task")
        if not isinstance(task, dict):
            raise Retryable(self.name, 1000, "the query answer has no task")
        raw = str(task.get("status", ""))
        state = _STATES.get(raw)
        if state is None:
            raise Retryable(self.name, 1000, f"unknown status {raw!r}")
        if state is UpstreamState.FAILED:
            error = _dict(task.get("error"))
            message = f"{raw}: {error.get('message', '')}".rstrip(": ")
            return UpstreamStatus(state=state, code=_code(error.get("code")), message=message)
        content = _dict(task.get("content"))
        url = str(content.get("url") or "")
        return UpstreamStatus(state=state, file_ref=url, cost=said_cost(task.get("cost_usd")))

    def download_link(self, upstream_id: str, status: UpstreamStatus) -> DownloadLink:
        if not status.file_ref:
            raise Retryable(self.name, 1000, f"task {upstream_id} succeeded without a url")
        own = self._http.same_origin(status.file_ref)
        return DownloadLink(url=status.file_ref, headers=self._http.auth_headers() if own else {})

    def cancel(self, upstream_id: str) -> None:
        self._answer(self._http.call("DELETE", f"/v2/video_generation/{upstream_id}"))

    def close(self) -> None:
        self._http.close()

    def _answer(self, response: Any) -> dict[str, Any]:
        if response.status_code >= 400:
            raise Rejected(self.name, 2013, error_text(response))
        return self._http.json(response)


def _code(value: object) -> int:
    """V2 error codes are strings; a MiniMax number in one is kept, anything else is 1000."""
    text = str(value or "")
    return int(text) if text.isdigit() else 1000


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
