"""Fetching image URLs from a real HTTP server on 127.0.0.1 (opened with allow_networks)."""

from __future__ import annotations

import gzip
import time
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
    http_server.routes["/forever"] = stream_forever
    started = time.monotonic()

    message = refused_fetch(fetcher, http_server.url("/forever"), max_bytes=2 << 20)

    assert "body is over 2097152 bytes" in message
    assert time.monotonic() - started < 3


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    fetcher: HttpImageFetcher, http_server: LocalServer
) -> None:
    url = http_server.serve_bytes("/big", b"x" * 5000)

    assert "body is 5000 bytes; the limit is 4000" in refused_fetch(fetcher, url, max_bytes=4000)


def test_a_silent_server_times_out(http_server: LocalServer) -> None:
    http_server.routes["/sleep"] = lambda h: time.sleep(3)
    fetcher = HttpImageFetcher(timeout_s=0.5, allow_networks=LOOPBACK)
    started = time.monotonic()

    message = refused_fetch(fetcher, http_server.url("/sleep"))

    assert message.endswith(": timed out")
    assert time.monotonic() - started < 1.5


def drip(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000000")
    h.end_headers()
    for _ in range(100):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.05)


def test_a_slow_drip_is_cut_by_the_overall_deadline(http_server: LocalServer) -> None:
    http_server.routes["/drip"] = drip  # every read succeeds within the per-read timeout
    fetcher = HttpImageFetcher(timeout_s=0.6, allow_networks=LOOPBACK)
    started = time.monotonic()

    message = refused_fetch(fetcher, http_server.url("/drip"))

    assert message.endswith(": timed out")
    assert time.monotonic() - started < 1.2


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
