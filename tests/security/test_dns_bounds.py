"""Issue 16 item 8: DNS lookups are bounded per key and timed out each on its own clock.

The old code ran every lookup on one shared pool of eight threads: eight hanging names (one
key's) held all eight, and every other key's lookups waited in the pool's queue until their own
timeout passed. The resolver here is a test double (real DNS cannot be made to hang on
demand); the fetches are real HTTP to a loopback server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from reelserve.adapters.net import HttpImageFetcher, parse_networks
from reelserve.adapters.net.lookups import Lookups
from reelserve.domain.errors import InvalidParams
from reelserve.domain.tenancy import acting_for
from tests.security.helpers import serving

LOOPBACK = parse_networks("127.0.0.0/8")


class HangingDns:
    """``hang-*`` names block until ``release()``; any other name is 127.0.0.1."""

    def __init__(self) -> None:
        self.released = threading.Event()
        self.hanging = 0
        self._lock = threading.Lock()

    def __call__(self, host: str, port: int) -> Sequence[str]:
        if host.startswith("hang-"):
            with self._lock:
                self.hanging += 1
            self.released.wait(30)
        return ["127.0.0.1"]

    def release(self) -> None:
        self.released.set()


@pytest.fixture
def dns() -> Iterator[HangingDns]:
    resolver = HangingDns()
    yield resolver
    resolver.release()


def fetch_as(fetcher: HttpImageFetcher, key: str, url: str) -> bytes:
    with acting_for(key):
        return fetcher.fetch(url, max_bytes=1 << 20)


def test_eight_hanging_lookups_of_one_key_do_not_stall_another_key(dns: HangingDns) -> None:
    lookups = Lookups(per_key=4, total=64, timeout_s=1.0)
    fetcher = HttpImageFetcher(
        timeout_s=3.0, allow_networks=LOOPBACK, resolver=dns, lookups=lookups
    )
    with serving(["127.0.0.1"]) as (server,), ThreadPoolExecutor(8) as pool:
        hung = [
            pool.submit(fetch_as, fetcher, "A", f"http://hang-{n}.example.test:{server.port}/")
            for n in range(8)
        ]
        for future in hung:  # A's first four time out on their own; the rest are refused
            with pytest.raises(InvalidParams) as caught:
                future.result(10)
            assert "timed out" in str(caught.value) or "for this key" in str(caught.value)
        assert dns.hanging == 4
        assert lookups.in_progress("A") == 4  # still hanging: A's share stays taken

        body = fetch_as(fetcher, "B", f"http://images.example.test:{server.port}/")
        assert body == server.body
        with pytest.raises(InvalidParams, match="4 DNS lookups in progress for this key"):
            fetch_as(fetcher, "A", f"http://images.example.test:{server.port}/")
    dns.release()


def test_the_process_total_bounds_every_key_together() -> None:
    gate = threading.Event()

    def slow(host: str, port: int) -> Sequence[str]:
        gate.wait(5)
        return ["127.0.0.1"]

    lookups = Lookups(per_key=8, total=2, timeout_s=0.1)
    try:
        for key in ("A", "B"):
            with acting_for(key), pytest.raises(Exception, match="timed out"):
                lookups.resolve(slow, f"slow-{key}.example.test", 80, timeout=10.0)
        assert lookups.in_progress() == 2
        with acting_for("C"), pytest.raises(Exception, match="2 DNS lookups in progress;"):
            lookups.resolve(slow, "c.example.test", 80, timeout=10.0)
    finally:
        gate.set()
