"""A real HTTP callback receiver on 127.0.0.1 that misbehaves on cue, then recovers.

``faults`` is consumed one per status push: "500", "502", "410", "redirect" (a 302), "timeout"
(answers 503 only after the sender's timeout has passed) or "slow" (answers 200 after
``slow_s``, inside the timeout). With no fault left, a push gets 200. Challenges are answered
per ``challenge``: "echo", "wrong", "late" (echo only once ``release`` is set, or after
``late_s``), "redirect" or "500".
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True, slots=True, kw_only=True)
class Push:
    headers: dict[str, str]
    body: bytes
    answered: int  # the status the receiver sent back
    at: float

    @property
    def acknowledged(self) -> bool:
        return 200 <= self.answered < 300

    @property
    def json(self) -> dict[str, object]:
        decoded: dict[str, object] = json.loads(self.body)
        return decoded


class Receiver:
    def __init__(
        self,
        faults: list[str] | None = None,
        *,
        challenge: str = "echo",
        hang_s: float = 1.0,
        slow_s: float = 0.2,
        late_s: float = 3.5,
    ) -> None:
        self.faults = list(faults or [])
        self.challenge_mode = challenge
        self.hang_s, self.slow_s, self.late_s = hang_s, slow_s, late_s
        self.pushes: list[Push] = []
        self.challenges: list[str] = []
        self.release = threading.Event()  # lets a "late" challenge answer
        self.answered = threading.Event()  # set when a challenge got its answer
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def acknowledged(self) -> list[Push]:
        with self._lock:
            return [p for p in self.pushes if p.acknowledged]

    def next_fault(self) -> str | None:
        with self._lock:
            return self.faults.pop(0) if self.faults else None

    def log(self, push: Push) -> None:
        with self._lock:
            self.pushes.append(push)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    receiver: Receiver


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and "challenge" in payload:
            self._challenge(str(payload["challenge"]))
        else:
            self._push(body)

    def _challenge(self, value: str) -> None:
        receiver = self.server.receiver
        receiver.challenges.append(value)
        mode = receiver.challenge_mode
        if mode == "late":
            receiver.release.wait(receiver.late_s)
        if mode == "redirect":
            self._answer(302, b"", {"Location": "/elsewhere"})
        elif mode == "500":
            self._answer(500, b"oops")
        else:
            echoed = value if mode in ("echo", "late") else value + "-wrong"
            self._answer(200, json.dumps({"challenge": echoed}).encode())
        receiver.answered.set()

    def _push(self, body: bytes) -> None:
        receiver = self.server.receiver
        fault = receiver.next_fault()
        status = {"500": 500, "502": 502, "410": 410, "redirect": 302}.get(fault or "", 200)
        if fault == "timeout":
            time.sleep(receiver.hang_s)
            status = 503
        elif fault == "slow":
            time.sleep(receiver.slow_s)
        headers = {k.lower(): v for k, v in self.headers.items()}
        receiver.log(Push(headers=headers, body=body, answered=status, at=time.monotonic()))
        extra = {"Location": "/elsewhere"} if status == 302 else {}
        self._answer(status, b'{"status":"success"}', extra)

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the sender gave up waiting (a timeout case): nothing to answer
