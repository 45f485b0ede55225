"""The OpenAI Videos and MiniMax V2 routes of the scripted upstream (real HTTP status codes
for errors, as those dialects use them)."""

from __future__ import annotations

import json
from typing import Any

from tests.relay.upstream_server import PREFIX, Handler

_HTTP_FAULTS = {"1002": 429, "1004": 401, "1008": 402, "2013": 400, "500": 500}
_V1_TO_OPENAI = {"Queueing": "queued", "Processing": "in_progress", "Success": "completed"}
_V1_TO_V2 = {"Queueing": "queued", "Processing": "running", "Success": "succeeded"}


class DialectHandler(Handler):
    def _error(self, status: int, message: str) -> None:
        self._json(
            {"type": "error", "error": {"type": "bad_request_error", "message": message}}, status
        )

    def _create_fault(self) -> bool:
        fault = self.upstream.pop(self.upstream.script.create_faults)
        if fault in _HTTP_FAULTS:
            self._error(_HTTP_FAULTS[fault], f"fault {fault}")
            return True
        return self._fault(fault)

    def do_POST(self) -> None:
        if self.path not in (f"{PREFIX}/v1/videos", f"{PREFIX}/v2/video_generation"):
            super().do_POST()
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if not self._authorised() or self._create_fault():
            return
        task_id = self.upstream.create(self.headers.get("Idempotency-Key"), body)
        if self.path.endswith("/v1/videos"):
            self._json({"id": task_id, "object": "video", "status": "queued", "progress": 0})
        else:
            self._json({"task_id": task_id})

    def do_DELETE(self) -> None:
        task_id = self.path.rsplit("/", 1)[-1]
        self.upstream.deleted.append(task_id)
        self._json({"task_id": task_id, "status": "cancelled"})

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.startswith(f"{PREFIX}/v1/videos/") and path.endswith("/content"):
            file_id = self.upstream.tasks[path.split("/")[-2]].file_id
            self._download(f"{file_id}.mp4", {})
        elif path.startswith(f"{PREFIX}/v1/videos/"):
            self._status(path.rsplit("/", 1)[-1], self._openai)
        elif path.startswith(f"{PREFIX}/v2/query/video_generation/"):
            self._status(path.rsplit("/", 1)[-1], self._v2)
        else:
            super().do_GET()

    def _status(self, task_id: str, render: Any) -> None:
        if not self._authorised() or self._fault(
            self.upstream.pop(self.upstream.script.query_faults)
        ):
            return
        state = self.upstream.advance(task_id)
        if state is None:
            self._error(404, f"no task {task_id}")
        else:
            self._json(render(task_id, *state))

    def _openai(self, task_id: str, status: str, code: int) -> dict[str, Any]:
        if status == "Fail":
            error = {"code": "moderation_blocked", "message": f"failure {code}"}
            return {"id": task_id, "object": "video", "status": "failed", "error": error}
        progress = {"Queueing": 0, "Processing": 40, "Success": 100}[status]
        return {
            "id": task_id,
            "object": "video",
            "status": _V1_TO_OPENAI[status],
            "progress": progress,
        }

    def _v2(self, task_id: str, status: str, code: int) -> dict[str, Any]:
        if status == "Fail":
            return {
                "task": {
                    "id": task_id,
                    "status": "failed",
                    "error": {"code": str(code), "message": f"failure {code}"},
                }
            }
        content = {"url": self.upstream.cdn_link(task_id)} if status == "Success" else {}
        task = {"id": task_id, "status": _V1_TO_V2[status], "content": content}
        return {"task": {**task, **(self.upstream.said_cost() if status == "Success" else {})}}
