"""The OpenAI Videos shape (``/v1/videos``) that open video servers speak (DIALECTS.md §1).

Real HTTP status codes carry the errors. There is no cancel and no last frame in this shape:
a first+last request is refused (2013) rather than quietly losing its last frame.
"""

from __future__ import annotations

from typing import Any

from reelserve.adapters.engines.upstream.errors import Rejected, Retryable
from reelserve.adapters.engines.upstream.http import UpstreamHttp, error_text, png_data_url
from reelserve.adapters.engines.upstream.ports import (
    DownloadLink,
    UpstreamJob,
    UpstreamState,
    UpstreamStatus,
)

_STATES = {
    "queued": UpstreamState.QUEUED,
    "in_progress": UpstreamState.PROCESSING,
    "completed": UpstreamState.SUCCEEDED,
    "failed": UpstreamState.FAILED,
}


class OpenAIVideosClient:
    can_cancel = False

    def __init__(self, http: UpstreamHttp) -> None:
        self._http = http
        self.name = http.name

    def submit(self, job: UpstreamJob) -> str:
        if job.last_frame is not None:
            raise Rejected(self.name, 2013, "the openai dialect takes no last frame")
        body: dict[str, Any] = {
            "model": job.model,
            "prompt": job.prompt,
            "seconds": str(job.duration),
            "size": f"{job.width}x{job.height}",
        }
        if job.first_frame is not None:
            body["input_reference"] = {"image_url": png_data_url(job.first_frame)}
        response = self._http.call(
            "POST", "/v1/videos", json=body, headers={"Idempotency-Key": job.idempotency_key}
        )
        video = self._video(response)
        if not video.get("id"):
            raise Retryable(self.name, 1000, "the create answer has no id")
        return str(video["id"])

    def status(self, upstream_id: str) -> UpstreamStatus:
        video = self._video(self._http.call("GET", f"/v1/videos/{upstream_id}"))
        state = _STATES.get(str(video.get("status", "")))
        if state is None:
            raise Retryable(self.name, 1000, f"unknown status {video.get('status')!r}")
        if state is UpstreamState.FAILED:
            error = video.get("error") or {}
            code = error.get("code", "") if isinstance(error, dict) else ""
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            detail = f"{code}: {message}" if code else message
            return UpstreamStatus(state=state, code=1000, message=detail or "the video failed")
        progress = video.get("progress")
        return UpstreamStatus(
            state=state, percent=int(progress) if isinstance(progress, int | float) else None
        )

    def download_link(self, upstream_id: str, status: UpstreamStatus) -> DownloadLink:
        return DownloadLink(
            url=self._http.url(f"/v1/videos/{upstream_id}/content"),
            headers={**self._http.auth_headers(), "Accept": "application/binary"},
        )

    def cancel(self, upstream_id: str) -> None:
        return None

    def close(self) -> None:
        self._http.close()

    def _video(self, response: Any) -> dict[str, Any]:
        if response.status_code >= 400:
            raise Rejected(self.name, 2013, error_text(response))
        return self._http.json(response)
