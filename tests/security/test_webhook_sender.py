"""SafeHttpWebhookSender against real receivers on 127.0.0.1."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from reelserve.adapters.net.webhooks import SafeHttpWebhookSender

Reply = Callable[[BaseHTTPRequestHandler, bytes], None]


class Receiver:
    def __init__(self) -> None:
        self.reply: Reply = lambda h, body: answer(h, 200, body)
        self.received: list[tuple[dict[str, str], bytes]] = []


def answer(h: BaseHTTPRequestHandler, status: int, body: bytes = b"") -> None:
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        h.wfile.write(body)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append((dict(self.headers.items()), body))
            state.reply(self, body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


@pytest.fixture
def sender() -> SafeHttpWebhookSender:
    return SafeHttpWebhookSender(allow_networks=[ipaddress.ip_network("127.0.0.1/32")])


def test_a_receiver_that_echoes_passes_the_challenge(
    sender: SafeHttpWebhookSender, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver

    assert sender.challenge(url, "c-123", timeout_s=3.0) is True
    headers, body = state.received[0]
    assert json.loads(body) == {"challenge": "c-123"}
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (lambda h, body: answer(h, 200, b'{"challenge": "other"}'), "does not echo"),
        (lambda h, body: answer(h, 200, b"c-123"), "not JSON"),
        (lambda h, body: answer(h, 200, b'["c-123"]'), "does not echo"),
        (lambda h, body: answer(h, 500, body), "HTTP 500"),
        (
            lambda h, body: answer(h, 200, b'{"challenge": "' + b"x" * 70000 + b'"}'),
            "the limit is 65536",
        ),
    ],
)
def test_a_wrong_answer_fails_the_challenge(
    sender: SafeHttpWebhookSender, receiver: tuple[Receiver, str], reply: Reply, reason: str
) -> None:
    state, url = receiver
    state.reply = reply

    found = sender.check_challenge(url, "c-123", timeout_s=3.0)

    assert found is not None and reason in found
    assert sender.challenge(url, "c-123", timeout_s=3.0) is False


def test_a_late_echo_fails_within_the_budget(
    sender: SafeHttpWebhookSender, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    release, answered = threading.Event(), threading.Event()

    def late_echo(h: BaseHTTPRequestHandler, body: bytes) -> None:
        release.wait(30)  # echoes only once the test lets it, after the check returned
        with contextlib.suppress(OSError):
            answer(h, 200, body)
        answered.set()

    state.reply = late_echo

    assert sender.check_challenge(url, "c-123", timeout_s=0.5) == "timed out"
    assert not answered.is_set()  # the budget cut the wait; the echo never came
    release.set()


def test_deliver_posts_the_body_and_headers_and_returns_the_status(
    sender: SafeHttpWebhookSender, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.reply = lambda h, body: answer(h, 204)
    body = b'{"task_id": "1", "status": "success"}'

    status = sender.deliver(url, body, {"webhook-id": "msg_1"}, timeout_s=2.0)

    assert status == 204
    headers, received = state.received[0]
    assert received == body
    assert headers["webhook-id"] == "msg_1"


def test_deliver_returns_the_error_status(
    sender: SafeHttpWebhookSender, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.reply = lambda h, body: answer(h, 410)

    assert sender.deliver(url, b"{}", {}, timeout_s=2.0) == 410


def test_deliver_returns_0_when_no_answer_comes(
    sender: SafeHttpWebhookSender, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    release = threading.Event()

    def held(h: BaseHTTPRequestHandler, body: bytes) -> None:
        release.wait(30)  # no answer until the delivery gave up
        with contextlib.suppress(OSError):
            answer(h, 200, body)

    state.reply = held

    assert sender.deliver(url, b"{}", {}, timeout_s=0.3) == 0
    release.set()
    assert sender.deliver("http://127.0.0.1:1/closed", b"{}", {}, timeout_s=1.0) == 0
    assert sender.deliver("not a url", b"{}", {}, timeout_s=1.0) == 0
