"""Fixtures for image intake: a real HTTP server on loopback, a fetcher allowed to reach it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelserve.adapters.media.images import PillowImageIntake
from reelserve.adapters.net.fetch import HttpImageFetcher

from .helpers import LOOPBACK, LocalServer, start_server


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    server = start_server(LocalServer())
    yield server
    assert server.httpd is not None
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def fetcher() -> Iterator[HttpImageFetcher]:
    fetcher = HttpImageFetcher(timeout_s=5.0, allow_networks=LOOPBACK)
    yield fetcher
    fetcher.close()


@pytest.fixture
def intake(fetcher: HttpImageFetcher) -> PillowImageIntake:
    return PillowImageIntake(fetcher)
