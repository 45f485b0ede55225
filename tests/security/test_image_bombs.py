"""Image and body bombs are refused with 2013, and refusing them costs little memory.

Peak memory is the rise of the process's resident set (VmHWM, reset before each case), because
Pillow and zlib allocate outside Python's tracemalloc. Each case prints its number (pytest -s).
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reelserve.adapters.media.images import PillowImageIntake
from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.domain.errors import InvalidParams

from .helpers import gzip_bomb, jpeg_declaring, peak_rss, png_header

FIELD = "first_frame_image"
MEMORY_BOUND_MIB = 100  # refusing any bomb below must not cost more resident memory than this

needs_proc = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="peak RSS needs Linux /proc; runs on Linux"
)


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


@pytest.fixture(scope="module")
def intake() -> PillowImageIntake:
    return PillowImageIntake(HttpImageFetcher())


def refused_cheaply(intake: PillowImageIntake, source: str, label: str) -> str:
    with peak_rss() as memory, pytest.raises(InvalidParams) as caught:
        intake.load(FIELD, source)
    added = memory["peak_added_mib"]
    print(f"\n{label}: refused, peak RSS +{added:.1f} MiB: {caught.value.status_msg[:140]}")
    assert caught.value.code == 2013
    assert added < MEMORY_BOUND_MIB
    return caught.value.status_msg


def fits() -> bytes:
    cards = ["SIMPLE  =                    T", "BITPIX  =                    8",
             "NAXIS   =                    2", "NAXIS1  =                  640",
             "NAXIS2  =                  480", "END"]  # fmt: skip
    header = "".join(card.ljust(80) for card in cards).ljust(2880).encode()
    return header + bytes(640 * 480).ljust(2880 * 107, b"\0")


@needs_proc
@pytest.mark.parametrize(
    ("label", "data", "expected"),
    [
        ("PNG declaring 20000x20000 (400 MP)", png_header(20000, 20000), "too many pixels"),
        ("PNG declaring 10000x10000 (100 MP)", png_header(10000, 10000), "too many pixels"),
        ("PNG declaring 10000x5000 (50 MP)", png_header(10000, 5000), "at most 40000000 pixels"),
        ("PNG declaring 65535x400", png_header(65535, 400), "aspect ratio"),
        ("JPEG declaring 65000x65000", jpeg_declaring(65000, 65000), "too many pixels"),
        ("JPEG declaring 9000x6000 (54 MP)", jpeg_declaring(9000, 6000), "at most 40000000"),
        ("FITS labelled PNG", fits(), "image format FITS is not supported"),
        ("PSD labelled PNG", b"8BPS\x00\x01" + bytes(4000), "image format PSD is not supported"),
        ("truncated PNG header", png_header(1000, 1000)[:20], "header could not be read"),
    ],
)
def test_image_bombs_are_refused_before_decoding(
    intake: PillowImageIntake, label: str, data: bytes, expected: str
) -> None:
    assert expected in refused_cheaply(intake, data_url(data), label)


@needs_proc
def test_a_truncated_image_with_a_real_size_is_refused(intake: PillowImageIntake) -> None:
    data = png_header(4000, 3000)  # header is fine, pixel data is a few bytes

    assert "truncated or corrupt" in refused_cheaply(intake, data_url(data), "truncated PNG")


@needs_proc
def test_a_30_mb_data_url_is_refused(intake: PillowImageIntake) -> None:
    source = "data:image/png;base64," + "A" * (40 * 1024 * 1024)  # 30 MiB once decoded

    assert "it must be under" in refused_cheaply(intake, source, "30 MiB data URL")


class _BombHandler(BaseHTTPRequestHandler):
    body = b""
    encoding = "gzip"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Encoding", self.encoding)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def bomb_server() -> Iterator[str]:
    _BombHandler.body = gzip_bomb(200)  # 200 MiB of zeros in about 200 KiB
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BombHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bomb.png"
    server.shutdown()
    server.server_close()


@needs_proc
@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_body_is_bounded_while_inflating(bomb_server: str, encoding: str) -> None:
    _BombHandler.encoding = encoding
    loopback = [ipaddress.ip_network("127.0.0.0/8")]
    intake = PillowImageIntake(HttpImageFetcher(allow_networks=loopback))
    assert len(_BombHandler.body) < 300 * 1024

    message = refused_cheaply(intake, bomb_server, f"{encoding} bomb (200 MiB from 200 KiB)")

    assert "body is over 20971520 bytes" in message


@needs_proc
def test_an_unsupported_content_encoding_is_refused(bomb_server: str) -> None:
    _BombHandler.encoding = "br"
    intake = PillowImageIntake(HttpImageFetcher(allow_networks=[ipaddress.ip_network("127.0.0.1")]))

    assert "unsupported content-encoding 'br'" in refused_cheaply(intake, bomb_server, "br body")
