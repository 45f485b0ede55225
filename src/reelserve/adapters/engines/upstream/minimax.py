"""MiniMax v1 (``/v1/video_generation``), as the official API and every gateway that mounts it
under a prefix speak it (reelserve included). Business errors come as HTTP 200 with a
non-zero ``base_resp.status_code`` (MINIMAX_API.md §1, §8)."""

from __future__ import annotations

from typing import Any

from reelserve.adapters.engines.upstream.errors import Rejected, Retryable, classify
from reelserve.adapters.engines.upstream.http import UpstreamHttp, png_data_url
from reelserve.adapters.engines.upstream.ports import (
    DownloadLink,
    UpstreamJob,
    UpstreamState,
    UpstreamStatus,
    said_cost,
)

_STATES = {
    "Preparing": UpstreamState.QUEUED,
    "Queueing": UpstreamState.QUEUED,
    "Processing": UpstreamState.PROCESSING,
    "Success": UpstreamState.SUCCEEDED,
    "Fail": UpstreamState.FAILED,
    "Failed": UpstreamState.FAILED,  # the official CLI's spelling
}


class MinimaxClient:
    can_cancel = False  # v1 has no cancel route: polling stops, the upstream finishes alone

    def __init__(self, http: UpstreamHttp) -> None:
        self._http = http
        self.name = http.name

    def submit(self, job: UpstreamJob) -> str:
        body: dict[str, Any] = {
            "model": job.model,
            "prompt": job.prompt,
            "prompt_optimizer": job.prompt_optimizer,
            "duration": job.duration,
            "resolution": job.resolution,
            "aigc_watermark": job.watermark,
        }
        if job.first_frame is not None:
            body["first_frame_image"] = png_data_url(job.first_frame)
        if job.last_frame is not None:
            body["last_frame_image"] = png_data_url(job.last_frame)
        if job.callback_url:
            body["callback_url"] = job.callback_url
        response = self._http.call(
            "POST",
            "/v1/video_generation",
            json=body,
            headers={"Idempotency-Key": job.idempotency_key},
        )
        answer = self._checked(self._http.json(response))
        task_id = str(answer.get("task_id") or "")
        if not task_id:
            raise Retryable(self.name, 1000, "the create answer has no task_id")
        return task_id

    def status(self, upstream_id: str) -> UpstreamStatus:
        response = self._http.call(
            "GET", "/v1/query/video_generation", params={"task_id": upstream_id}
        )
        answer = self._http.json(response)
        state = _STATES.get(str(answer.get("status", "")))
        code, message = _base_resp(answer)
        if state is UpstreamState.FAILED:
            return UpstreamStatus(
                state=state, code=code or 1000, message=message or "the upstream task failed"
            )
        self._checked(answer)
        if state is None:
            raise Retryable(self.name, 1000, f"unknown status {answer.get('status')!r}")
        percent = answer.get("progress")
        return UpstreamStatus(
            state=state,
            percent=int(percent) if isinstance(percent, int | float) else None,
            file_ref=str(answer.get("file_id") or ""),
            cost=said_cost(answer.get("cost_usd")),  # MiniMax says none; a gateway may
        )

    def download_link(self, upstream_id: str, status: UpstreamStatus) -> DownloadLink:
        if not status.file_ref:
            raise Rejected(self.name, 1000, f"task {upstream_id} succeeded without a file_id")
        response = self._http.call("GET", "/v1/files/retrieve", params={"file_id": status.file_ref})
        answer = self._checked(self._http.json(response))
        file = answer.get("file")
        url = file.get("download_url") if isinstance(file, dict) else None
        if not isinstance(url, str) or not url:
            raise Retryable(self.name, 1000, "the retrieve answer has no download_url")
        headers = self._http.auth_headers() if self._http.same_origin(url) else {}
        return DownloadLink(url=url, headers=headers)

    def cancel(self, upstream_id: str) -> None:
        return None

    def close(self) -> None:
        self._http.close()

    def _checked(self, answer: dict[str, Any]) -> dict[str, Any]:
        code, message = _base_resp(answer)
        if code:
            raise classify(self.name, code, message)
        return answer


def _base_resp(answer: dict[str, Any]) -> tuple[int, str]:
    base = answer.get("base_resp")
    if not isinstance(base, dict):
        return 0, ""
    try:
        code = int(base.get("status_code", 0))
    except (TypeError, ValueError):
        code = 1000
    return code, str(base.get("status_msg", ""))
