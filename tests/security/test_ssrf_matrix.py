"""SSRF: URL forms that reach internal addresses are refused, and none reaches a local server.

Servers on 127.0.0.1, 127.0.0.2 and ::1 (one port) count every TCP connection they accept. The
matrix goes through the image fetcher and the webhook sender with the default policy (nothing
private allowed). A control test shows that plain httpx does reach the servers with these forms.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from reelserve.adapters.media.images import PillowImageIntake
from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.adapters.net.webhooks import SafeHttpWebhookSender
from reelserve.domain.errors import InvalidParams

from .helpers import CountingServer, fake_dns, serving

BLOCKED = "is not allowed"  # the guard's own refusal, after DNS, before any connection
ANY = ""  # refused earlier (an unparsable URL, a name that does not resolve here)

# Names resolved by the fake DNS below; everything else goes to the real resolver.
DNS = {
    "images.example.test": ["127.0.0.1"],  # a public-looking name pointing at loopback
    "mixed.example.test": ["8.8.8.8", "127.0.0.1"],  # one bad answer refuses the whole name
    "v6.example.test": ["2606:4700::1111", "::1"],
    "metadata.example.test": ["169.254.169.254"],
    "zone.example.test": ["fe80::1%lo"],
}

MATRIX: list[tuple[str, str]] = [
    ("http://127.0.0.1:{port}/", BLOCKED),
    ("https://127.0.0.1:{port}/", BLOCKED),
    ("http://127.0.0.2:{port}/", BLOCKED),
    ("http://127.255.255.254:{port}/", BLOCKED),
    ("http://localhost:{port}/", BLOCKED),
    ("http://LocalHost:{port}/", BLOCKED),
    ("http://localhost.:{port}/", ANY),  # does not resolve on every machine; refused either way
    ("http://127.0.0.1.:{port}/", ANY),
    ("http://2130706433:{port}/", BLOCKED),  # decimal
    ("http://0x7f000001:{port}/", BLOCKED),  # hex
    ("http://0x7f.0x0.0x0.0x1:{port}/", BLOCKED),  # dotted hex
    ("http://0177.0.0.1:{port}/", ANY),  # octal (httpx refuses leading zeros)
    ("http://017700000001:{port}/", BLOCKED),  # octal, one number
    ("http://127.1:{port}/", BLOCKED),  # short
    ("http://127.0.1:{port}/", BLOCKED),
    ("http://0x7f.1:{port}/", BLOCKED),
    ("http://0.0.0.0:{port}/", BLOCKED),  # Linux connects 0.0.0.0 to the local host
    ("http://0:{port}/", BLOCKED),
    ("http://[::]:{port}/", BLOCKED),
    ("http://[::1]:{port}/", BLOCKED),
    ("http://[0:0:0:0:0:0:0:1]:{port}/", BLOCKED),
    ("http://[::ffff:127.0.0.1]:{port}/", BLOCKED),  # IPv4-mapped
    ("http://[::ffff:7f00:1]:{port}/", BLOCKED),
    ("http://[0:0:0:0:0:ffff:127.0.0.2]:{port}/", BLOCKED),
    ("http://[::127.0.0.1]:{port}/", BLOCKED),  # IPv4-compatible
    ("http://[64:ff9b::127.0.0.1]:{port}/", BLOCKED),  # NAT64
    ("http://[64:ff9b::7f00:1]:{port}/", BLOCKED),
    ("http://[64:ff9b:1::7f00:1]:{port}/", BLOCKED),  # local-use NAT64
    ("http://[2002:7f00:1::]:{port}/", BLOCKED),  # 6to4 around 127.0.0.1
    ("http://[2001:0:4136:e378:8000:0:80ff:fffe]:{port}/", BLOCKED),  # Teredo around 127.0.0.1
    ("http://images.example.test:{port}/", BLOCKED),
    ("http://mixed.example.test:{port}/", BLOCKED),
    ("http://v6.example.test:{port}/", BLOCKED),
    ("http://169.254.169.254/latest/meta-data/", BLOCKED),  # cloud metadata
    ("http://metadata.example.test/latest/meta-data/", BLOCKED),
    ("http://[fd00:ec2::254]/latest/meta-data/", BLOCKED),  # AWS IPv6 metadata
    ("http://[::ffff:169.254.169.254]/", BLOCKED),
    ("http://[::ffff:a9fe:a9fe]/", BLOCKED),
    ("http://2852039166/", BLOCKED),  # 169.254.169.254 in decimal
    ("http://10.0.0.1/", BLOCKED),
    ("http://172.16.5.4/", BLOCKED),
    ("http://192.168.1.1/", BLOCKED),
    ("http://100.64.0.1/", BLOCKED),  # CGNAT
    ("http://192.0.0.8/", BLOCKED),  # "global" in Python 3.11.7's tables
    ("http://198.18.0.1/", BLOCKED),
    ("http://224.0.0.1/", BLOCKED),  # multicast
    ("http://255.255.255.255/", BLOCKED),
    ("http://240.0.0.1/", BLOCKED),
    ("http://[fc00::1]/", BLOCKED),  # unique local
    ("http://[fe80::1%25lo]:{port}/", ANY),  # link-local with a zone
    ("http://zone.example.test/", BLOCKED),
    ("http://[ff02::1]/", BLOCKED),
    ("http://127.0.0.1:{port}@example.test/", ANY),  # user info
    ("http://user:pass@127.0.0.1:{port}/", ANY),
    ("http://%31%32%37.0.0.1:{port}/", ANY),
    ("http://127。0。0。1:{port}/", BLOCKED),  # ideographic full stops, mapped by IDNA
    ("file:///etc/passwd", ANY),
    ("gopher://127.0.0.1:{port}/_GET", ANY),
    ("ftp://127.0.0.1:{port}/", ANY),
    ("dict://127.0.0.1:{port}/", ANY),
]


@pytest.fixture(scope="module")
def servers() -> Iterator[list[CountingServer]]:
    with serving(["127.0.0.1", "127.0.0.2", "::1"]) as found:
        yield found


@pytest.fixture(scope="module")
def intake() -> PillowImageIntake:
    return PillowImageIntake(HttpImageFetcher(timeout_s=2.0, resolver=fake_dns(DNS)))


@pytest.fixture(scope="module")
def sender() -> SafeHttpWebhookSender:
    return SafeHttpWebhookSender(resolver=fake_dns(DNS))


@pytest.fixture(autouse=True)
def no_connection_reaches_a_server(servers: list[CountingServer]) -> Iterator[None]:
    before = [s.connections for s in servers]
    yield
    assert [s.connections for s in servers] == before, "a refused URL reached a local server"


def _urls() -> list[tuple[str, str]]:
    return MATRIX


@pytest.mark.parametrize(("template", "expected"), _urls())
def test_the_image_fetcher_refuses(
    servers: list[CountingServer], intake: PillowImageIntake, template: str, expected: str
) -> None:
    url = template.format(port=servers[0].port)
    started = time.monotonic()

    with pytest.raises(InvalidParams) as caught:
        intake.load("first_frame_image", url)

    assert expected in caught.value.status_msg
    assert caught.value.status_msg.startswith("invalid params, first_frame_image: ")
    assert time.monotonic() - started < 1.0  # refused before any connection attempt


@pytest.mark.parametrize(("template", "expected"), _urls())
def test_the_webhook_sender_refuses(
    servers: list[CountingServer], sender: SafeHttpWebhookSender, template: str, expected: str
) -> None:
    url = template.format(port=servers[0].port)

    reason = sender.check_challenge(url, "abc", timeout_s=2.0)

    assert reason is not None and expected in reason
    assert sender.challenge(url, "abc", timeout_s=2.0) is False
    assert sender.deliver(url, b"{}", {}, timeout_s=2.0) == 0


def test_the_matrix_is_large_and_mostly_refused_by_the_guard() -> None:
    assert len(MATRIX) >= 30
    assert sum(1 for _, expected in MATRIX if expected == BLOCKED) >= 40


CONTROL = [
    "http://2130706433:{port}/",
    "http://0x7f000001:{port}/",
    "http://017700000001:{port}/",
    "http://127.1:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::1]:{port}/",
    "http://127.0.0.2:{port}/",
]


@pytest.mark.parametrize("template", CONTROL)
def test_control_plain_httpx_does_reach_the_servers(
    servers: list[CountingServer], template: str
) -> None:
    """Without the guard these forms are real attacks: the request arrives."""
    before = sum(s.connections for s in servers)
    with httpx.Client(trust_env=False) as client:
        response = client.get(template.format(port=servers[0].port))
    assert response.status_code == 200
    assert sum(s.connections for s in servers) == before + 1
    for server in servers:  # keep the autouse check about the guarded clients only
        server.connections = 0


def test_allow_networks_opens_only_what_it_names(servers: list[CountingServer]) -> None:
    import ipaddress

    fetcher = HttpImageFetcher(allow_networks=[ipaddress.ip_network("127.0.0.1/32")])
    port = servers[0].port

    assert fetcher.fetch(f"http://2130706433:{port}/", max_bytes=1 << 20) == servers[0].body
    assert fetcher.fetch(f"http://[::ffff:127.0.0.1]:{port}/", max_bytes=1 << 20)
    with pytest.raises(InvalidParams, match=BLOCKED):
        fetcher.fetch(f"http://127.0.0.2:{port}/", max_bytes=1 << 20)
    with pytest.raises(InvalidParams, match=BLOCKED):
        fetcher.fetch(f"http://[::1]:{port}/", max_bytes=1 << 20)
    assert [s.connections for s in servers] != [0, 0, 0]
    for server in servers:
        server.connections = 0
