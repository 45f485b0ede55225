"""A scripted, fault-injecting upstream for the relay tests: MiniMax v1 under a gateway
prefix (``/gw``), on a real socket, in a thread.

The test scripts it through plain lists, each popped once per call:

- ``create_faults``: "1002", "1004", "1008", "2013", "500", "drop" (close without answering),
  "slow:S" (answer after S seconds; also for the other lists);
- ``query_faults``: the same, for status calls;
- ``download_faults``: "expired" (403), "truncated" (the MP4 cut short, its true length
  announced), "short" (a Content-Length larger than the body), "500".

``outcome`` decides new tasks: "success", "fail:CODE" or "never"; ``polls`` is how many status
calls a task answers Queueing/Processing before its outcome; ``cost``, when set, is the
``cost_usd`` a Success answer carries (as a reelserve or a gateway may; MiniMax says none). Creates are recorded with their
Idempotency-Key; a repeated key returns the same task, as reelserve does.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/gw"
KEY = "sk-upstream-test-7f3a9c"
_ids = itertools.count(300_000_000_000_001)


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that went away (a killed server) is part of the script


@dataclass
class UpstreamTask:
    id: str
    body: dict[str, Any]
    outcome: str
    polls_left: int
    file_id: str = ""
    finished: bool = False


@dataclass
class Script:
    create_faults: list[str] = field(default_factory=list)
    query_faults: list[str] = field(default_factory=list)
    download_faults: list[str] = field(default_factory=list)
    outcome: str = "success"
    polls: int = 2
    cost: str | None = None


class ScriptedUpstream:
    def __init__(self, mp4: bytes) -> None:
        self.mp4 = mp4
        self.script = Script()
        self.creates: list[tuple[str | None, dict[str, Any]]] = []
        self.tasks: dict[str, UpstreamTask] = {}
        self.by_key: dict[str, str] = {}
        self.status_calls = 0
        self.max_open = 0  # the most tasks open (created, not finished) at one time
        self.downloads = 0
        self.auth_seen: set[str] = set()
        self.deleted: list[str] = []
        self.lock = threading.Lock()
        from tests.relay.dialects_server import DialectHandler

        self._server = _Quiet(("127.0.0.1", 0), DialectHandler)
        self._server.upstream = self  # type: ignore[attr-defined]
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedUpstream:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def pop(self, faults: list[str]) -> str | None:
        with self.lock:
            return faults.pop(0) if faults else None

    def create(self, key: str | None, body: dict[str, Any]) -> str:
        with self.lock:
            self.creates.append((key, body))
            if key and key in self.by_key:
                return self.by_key[key]
            task = UpstreamTask(
                id=str(next(_ids)), body=body, outcome=self.script.outcome,
                polls_left=self.script.polls,
            )  # fmt: skip
            self.tasks[task.id] = task
            self.max_open = max(self.max_open, sum(not t.finished for t in self.tasks.values()))
            if key:
                self.by_key[key] = task.id
            return task.id

    def advance(self, task_id: str) -> tuple[str, int] | None:
        """One status call: (v1 status, fail code), or None for an unknown task."""
        with self.lock:
            self.status_calls += 1
            task = self.tasks.get(task_id)
            if task is None:
                return None
            if task.outcome == "never" or task.polls_left > 0:
                task.polls_left -= 1
                return ("Queueing" if task.polls_left >= 1 else "Processing"), 0
            task.finished = True
            if task.outcome.startswith("fail:"):
                return "Fail", int(task.outcome.split(":")[1])
            task.file_id = task.file_id or str(next(_ids))
            return "Success", 0

    def query(self, task_id: str) -> dict[str, Any]:
        state = self.advance(task_id)
        if state is None:
            return _resp(2013, "invalid params, task not found")
        status, code = state
        if status == "Fail":
            return {"task_id": task_id, "status": "Fail", **_resp(code, f"failure {code}")}
        if status != "Success":
            return {"task_id": task_id, "status": status, "file_id": "", **_resp(0)}
        return {
            "task_id": task_id, "status": "Success", "file_id": self.tasks[task_id].file_id,
            "video_width": 160, "video_height": 90, **self.said_cost(), **_resp(0),
        }  # fmt: skip

    def said_cost(self) -> dict[str, str]:
        return {"cost_usd": self.script.cost} if self.script.cost is not None else {}

    def cdn_link(self, task_id: str) -> str:
        return f"{self.url}/cdn/{self.tasks[task_id].file_id}.mp4?sig={next(_ids)}"


def _resp(code: int, message: str = "success") -> dict[str, Any]:
    return {"base_resp": {"status_code": code, "status_msg": message}}


_FAULT_CODES = {"1002": "rate limit", "1004": "authentication failed", "1008": "insufficient balance",
                "2013": "invalid params, duration"}  # fmt: skip


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def upstream(self) -> ScriptedUpstream:
        return self.server.upstream  # type: ignore[attr-defined,no-any-return]

    def log_message(self, *_: object) -> None:
        pass

    def _json(self, body: dict[str, Any], status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _fault(self, fault: str | None) -> bool:
        """Act out a fault; True when the answer has been given (or refused)."""
        if fault is None:
            return False
        if fault.startswith("slow:"):
            time.sleep(float(fault.split(":")[1]))
            return False
        if fault == "drop":
            self.close_connection = True
            return True
        if fault == "500":
            self._json({"error": "internal"}, 500)
            return True
        self._json({"task_id": "", **_resp(int(fault), _FAULT_CODES.get(fault, "error"))})
        return True

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization", "")
        self.upstream.auth_seen.add(header)
        if header != f"Bearer {KEY}":
            self._json(_resp(1004, "authentication failed"))
            return False
        return True

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        if self.path != f"{PREFIX}/v1/video_generation":
            self._json({"error": "not found"}, 404)
            return
        if not self._authorised() or self._fault(
            self.upstream.pop(self.upstream.script.create_faults)
        ):
            return
        task_id = self.upstream.create(self.headers.get("Idempotency-Key"), body)
        self._json({"task_id": task_id, **_resp(0)})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/cdn/"):
            self._download(url.path.removeprefix("/cdn/"), query)
            return
        if not self._authorised():
            return
        if url.path == f"{PREFIX}/v1/query/video_generation":
            if not self._fault(self.upstream.pop(self.upstream.script.query_faults)):
                self._json(self.upstream.query(query.get("task_id", "")))
        elif url.path == f"{PREFIX}/v1/files/retrieve":
            file_id = query.get("file_id", "")
            link = f"{self.upstream.url}/cdn/{file_id}.mp4?sig={next(_ids)}"
            self._json({"file": {"file_id": int(file_id), "download_url": link}, **_resp(0)})
        else:
            self._json({"error": "not found"}, 404)

    def _download(self, name: str, query: dict[str, str]) -> None:
        fault = self.upstream.pop(self.upstream.script.download_faults)
        with self.upstream.lock:
            self.upstream.downloads += 1
        if fault == "expired":
            self._json({"error": "link expired"}, 403)
            return
        if fault == "500":
            self._json({"error": "internal"}, 500)
            return
        data = self.upstream.mp4
        if fault == "truncated":
            data = data[: len(data) * 2 // 3]
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(data) + (1000 if fault == "short" else 0)))
        self.end_headers()
        self.wfile.write(data)
        if fault == "short":
            self.close_connection = True
