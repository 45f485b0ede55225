"""What a refused or broken outbound URL tells the client: the reason, never internal DNS."""

from __future__ import annotations

import pytest

from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.adapters.net.webhooks import SafeHttpWebhookSender
from reelserve.domain.errors import InvalidParams

from .helpers import fake_dns


def test_a_name_that_resolves_inside_is_refused_without_the_address() -> None:
    fetcher = HttpImageFetcher(resolver=fake_dns({"vm": ["10.1.2.3"], "vm6": ["fd00::7"]}))
    for host, address in (("vm", "10.1.2.3"), ("vm6", "fd00::7")):
        with pytest.raises(InvalidParams) as caught:
            fetcher.fetch(f"http://{host}/cat.png", max_bytes=1 << 20)
        message = str(caught.value)
        assert f"'{host}' is not allowed" in message
        assert address not in message and "resolves" not in message


def test_a_literal_address_is_named_as_given() -> None:
    fetcher = HttpImageFetcher()
    with pytest.raises(InvalidParams, match=r"address 10\.0\.0\.1 is not allowed"):
        fetcher.fetch("http://10.0.0.1/cat.png", max_bytes=1 << 20)


@pytest.mark.parametrize("url", ["http://xn--a/", "https://xn--a.example/x.png", "http://xn--/"])
def test_a_host_that_is_not_a_valid_idna_name_is_an_invalid_url(url: str) -> None:
    with pytest.raises(InvalidParams, match="not a valid internationalised name"):
        HttpImageFetcher().fetch(url, max_bytes=1 << 20)
    assert not SafeHttpWebhookSender().challenge(url, "c", 1.0)
