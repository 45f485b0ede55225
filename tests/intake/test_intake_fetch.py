"""Fetching image URLs from a real HTTP server on 127.0.0.1 (opened with allow_networks)."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest

from reelserve.adapters.media.images import PillowImageIntake
from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.domain.errors import InvalidParams

from .helpers import LOOPBACK, LocalServer, encode

FIELD = "first_frame_image"


def refused_fetch(fetcher: HttpImageFetcher, url: str, max_bytes: int = 1 << 20) -> str:
    with pytest.raises(InvalidParams) as caught:
        fetcher.fetch(url, max_bytes=max_bytes)
    assert caught.value.code == 2013
    return caught.value.status_msg


def test_an_image_url_is_fetched_and_checked(
    intake: PillowImageIntake, http_server: LocalServer
) -> None:
    url = http_server.serve_bytes("/cat.webp", encode((800, 600), fmt="WEBP"), "image/jpeg")

    image = intake.load(FIELD, url)

    assert (image.width, image.height, image.source_format) == (800, 600, "WEBP")
    assert http_server.hits == ["/cat.webp"]


def test_rules_apply_to_fetched_images(intake: PillowImageIntake, http_server: LocalServer) -> None:
    url = http_server.serve_bytes("/small.png", encode((300, 300)))

    with pytest.raises(InvalidParams) as caught:
        intake.load(FIELD, url)

    assert "first_frame_image: image is 300x300; minimum pixel" in caught.value.status_msg


def test_404_names_the_field_and_the_url(
    intake: PillowImageIntake, http_server: LocalServer
) -> None:
    url = http_server.url("/missing.png")

    with pytest.raises(InvalidParams) as caught:
        intake.load(FIELD, url)

    assert caught.value.violations[0].field == FIELD
    assert str(caught.value.violations[0]) == f"{FIELD}: could not fetch '{url}': HTTP 404"


def test_long_urls_are_shortened_in_messages(
    fetcher: HttpImageFetcher, http_server: LocalServer
) -> None:
    url = http_server.url("/" + "a" * 500)

    message = refused_fetch(fetcher, url)

    assert "HTTP 404" in message and len(message) < 200


def stream_forever(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "image/png")
    h.end_headers()  # no Content-Length: the body ends when the connection does
    chunk = b"\x89PNG" + b"\0" * 65532
    while True:
        h.wfile.write(chunk)


def test_the_byte_cap_holds_while_streaming(
    fetcher: HttpImageFetcher, http_server: LocalServer
) -> None:
    # The body never ends: the fetch returns at all only because the cap stops it.
    http_server.routes["/forever"] = stream_forever

    message = refused_fetch(fetcher, http_server.url("/forever"), max_bytes=2 << 20)

    assert "body is over 2097152 bytes" in message


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    fetcher: HttpImageFetcher, http_server: LocalServer
) -> None:
    url = http_server.serve_bytes("/big", b"x" * 5000)

    assert "body is 5000 bytes; the limit is 4000" in refused_fetch(fetcher, url, max_bytes=4000)


class Held:
    """A handler that holds its answer until the test releases it, and says when it is done:
    a fetch that returns while it still holds was cut by the fetch's own deadline."""

    def __init__(self, each: Callable[[BaseHTTPRequestHandler], None] | None = None) -> None:
        self.release, self.done = threading.Event(), threading.Event()
        self.each = each

    def __call__(self, h: BaseHTTPRequestHandler) -> None:
        try:
            for _ in range(600):  # at most ~30 s, then the server gives up by itself
                if self.each is not None:
                    self.each(h)
                if self.release.wait(0.05):
                    break
        except OSError:
            pass  # the client went away
        finally:
            self.done.set()


def drip_byte(h: BaseHTTPRequestHandler) -> None:
    if not getattr(h, "started", False):
        h.send_response(200)
        h.send_header("Content-Length", "1000000")
        h.end_headers()
        h.started = True  # type: ignore[attr-defined]
    h.wfile.write(b"x")  # every read succeeds within the per-read timeout
    h.wfile.flush()


@pytest.mark.parametrize(("route", "each"), [("/silent", None), ("/drip", drip_byte)])
def test_a_silent_or_dripping_server_is_cut_by_the_overall_deadline(
    http_server: LocalServer,
    route: str,
    each: Callable[[BaseHTTPRequestHandler], None] | None,
) -> None:
    held = Held(each)
    http_server.routes[route] = held
    fetcher = HttpImageFetcher(timeout_s=0.5, allow_networks=LOOPBACK)

    message = refused_fetch(fetcher, http_server.url(route))

    assert message.endswith(": timed out")
    assert not held.done.is_set()  # cut while the server still held: the deadline did it
    held.release.set()


def redirect_to(location: str, status: int = 302):  # type: ignore[no-untyped-def]
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return handler


def test_up_to_three_redirects_are_followed(
    intake: PillowImageIntake, http_server: LocalServer
) -> None:
    http_server.serve_bytes("/final.png", encode())
    http_server.routes["/r1"] = redirect_to("/r2", 301)
    http_server.routes["/r2"] = redirect_to(http_server.url("/r3"), 307)
    http_server.routes["/r3"] = redirect_to("final.png", 303)

    assert intake.load(FIELD, http_server.url("/r1")).width == 640
    assert http_server.hits == ["/r1", "/r2", "/r3", "/final.png"]


def test_a_fourth_redirect_is_refused(fetcher: HttpImageFetcher, http_server: LocalServer) -> None:
    for n in range(4):
        http_server.routes[f"/r{n}"] = redirect_to(f"/r{n + 1}")
    http_server.serve_bytes("/r4", encode())

    assert "more than 3 redirects" in refused_fetch(fetcher, http_server.url("/r0"))
    assert "/r4" not in http_server.hits


def test_a_redirect_to_another_scheme_is_refused(
    fetcher: HttpImageFetcher, http_server: LocalServer
) -> None:
    http_server.routes["/ftp"] = redirect_to("ftp://127.0.0.1/a.png")

    assert "could not fetch" in refused_fetch(fetcher, http_server.url("/ftp"))


def test_a_gzip_body_is_inflated(intake: PillowImageIntake, http_server: LocalServer) -> None:
    body = gzip.compress(encode((500, 500)))

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    http_server.routes["/z.png"] = handler

    assert intake.load(FIELD, http_server.url("/z.png")).width == 500


@pytest.mark.parametrize(
    "url",
    ["http://user:pw@127.0.0.1/a.png", "http:///a.png", "http://[::1/a.png", "http://exa mple/"],
)
def test_malformed_urls_are_refused(fetcher: HttpImageFetcher, url: str) -> None:
    assert "could not fetch" in refused_fetch(fetcher, url)


def test_the_default_fetcher_refuses_loopback(http_server: LocalServer) -> None:
    url = http_server.serve_bytes("/a.png", encode())

    message = refused_fetch(HttpImageFetcher(), url)

    assert "address 127.0.0.1 is not allowed (loopback)" in message
    assert http_server.hits == []
