"""SSRF by indirection: redirects, DNS answers that change, proxies from the environment, TLS."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from reelserve.adapters.net.client import safe_client
from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.adapters.net.webhooks import SafeHttpWebhookSender
from reelserve.domain.errors import InvalidParams

from .helpers import CountingServer, fake_dns, serving

ONLY_127_0_0_1 = [ipaddress.ip_network("127.0.0.1/32")]


@pytest.fixture
def redirector() -> Iterator[CountingServer]:
    with serving(["127.0.0.1"]) as (server,):
        yield server


@pytest.fixture
def internal() -> Iterator[list[CountingServer]]:
    """The servers a redirect must not reach: 127.0.0.2 and ::1, one port."""
    with serving(["127.0.0.2", "::1"]) as found:
        yield found


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.2:{port}/",
        "http://2130706434:{port}/",  # 127.0.0.2 in decimal
        "http://[::ffff:127.0.0.2]:{port}/",
        "http://[::1]:{port}/",
        "//127.0.0.2:{port}/",  # scheme-relative
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_an_internal_address_is_refused(
    redirector: CountingServer, internal: list[CountingServer], location: str
) -> None:
    redirector.redirect = location.format(port=internal[0].port)
    fetcher = HttpImageFetcher(allow_networks=ONLY_127_0_0_1)

    with pytest.raises(InvalidParams) as caught:
        fetcher.fetch(f"http://127.0.0.1:{redirector.port}/image.png", max_bytes=1 << 20)

    assert "could not fetch" in caught.value.status_msg
    assert redirector.connections == 1
    assert [s.connections for s in internal] == [0, 0]


def test_webhooks_do_not_follow_redirects(
    redirector: CountingServer, internal: list[CountingServer]
) -> None:
    redirector.redirect = f"http://127.0.0.2:{internal[0].port}/"
    sender = SafeHttpWebhookSender(allow_networks=ONLY_127_0_0_1)
    url = f"http://127.0.0.1:{redirector.port}/hook"

    assert sender.check_challenge(url, "v", timeout_s=2.0) == "HTTP 302"
    assert sender.deliver(url, b"{}", {}, timeout_s=2.0) == 302
    assert redirector.connections == 2
    assert [s.connections for s in internal] == [0, 0]


class Rebinder:
    """A DNS that answers an allowed address first and an internal one afterwards."""

    def __init__(self, answers: Sequence[list[str]]) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, host: str, port: int) -> Sequence[str]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return answer


def test_one_lookup_per_connection_and_the_checked_address_is_used(
    internal: list[CountingServer],
) -> None:
    dns = Rebinder([["127.0.0.1"], ["127.0.0.2"]])
    fetcher = HttpImageFetcher(allow_networks=ONLY_127_0_0_1, resolver=dns)
    internal_port = internal[0].port
    with serving(["127.0.0.1"], port=internal_port) as (allowed,):
        body = fetcher.fetch(f"http://images.example.test:{internal_port}/", max_bytes=1 << 20)

        assert body == allowed.body
        assert dns.calls == 1
        assert allowed.connections == 1
    assert [s.connections for s in internal] == [0, 0]


def test_a_name_that_rebinds_to_an_internal_address_is_refused(
    internal: list[CountingServer],
) -> None:
    dns = Rebinder([["127.0.0.2"], ["127.0.0.1"]])
    fetcher = HttpImageFetcher(allow_networks=ONLY_127_0_0_1, resolver=dns)

    with pytest.raises(InvalidParams, match=r"rebind.example.test. is not allowed"):
        fetcher.fetch(f"http://rebind.example.test:{internal[0].port}/", max_bytes=1 << 20)
    assert [s.connections for s in internal] == [0, 0]


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"])
def test_proxies_from_the_environment_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
    redirector: CountingServer,
    internal: list[CountingServer],
    variable: str,
) -> None:
    monkeypatch.setenv(variable, f"http://127.0.0.2:{internal[0].port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    fetcher = HttpImageFetcher(allow_networks=ONLY_127_0_0_1)

    assert fetcher.fetch(f"http://127.0.0.1:{redirector.port}/", max_bytes=1 << 20)
    assert redirector.connections == 1
    assert [s.connections for s in internal] == [0, 0]


# --- TLS: we connect to the checked IP, but the certificate is still checked for the URL's host


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test CA; runs wherever openssl exists")
    d = tmp_path_factory.mktemp("tls")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
             "-subj", "/CN=reelserve test CA", cwd=d)  # fmt: skip
    _openssl("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=localhost", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    sign = ["-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1"]
    _openssl(
        "x509", "-req", "-in", "srv.csr", *sign, "-out", "srv.pem", "-extfile", "ext.cnf", cwd=d
    )
    return d


@pytest.fixture
def tls_server(tls_files: Path) -> Iterator[CountingServer]:
    server = CountingServer(("127.0.0.1", 0), socket.AF_INET)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files / "srv.pem", tls_files / "srv.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_tls_verifies_the_url_hostname_not_the_address(
    tls_files: Path, tls_server: CountingServer
) -> None:
    trust = ssl.create_default_context(cafile=str(tls_files / "ca.pem"))
    dns = fake_dns({"images.example.test": ["127.0.0.1"]})
    port = tls_server.port
    with safe_client(allow_networks=ONLY_127_0_0_1, verify=trust, resolver=dns) as client:
        assert client.get(f"https://localhost:{port}/").status_code == 200

        with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
            client.get(f"https://images.example.test:{port}/")  # same IP, wrong name


def test_a_slow_dns_answer_is_cut_by_the_deadline() -> None:
    def slow_dns(host: str, port: int) -> Sequence[str]:
        time.sleep(1.5)
        return ["127.0.0.1"]

    fetcher = HttpImageFetcher(timeout_s=0.4, allow_networks=ONLY_127_0_0_1, resolver=slow_dns)
    started = time.monotonic()

    with pytest.raises(InvalidParams, match="timed out"):
        fetcher.fetch("http://slow-dns.example.test/", max_bytes=1 << 20)
    assert time.monotonic() - started < 1.0
