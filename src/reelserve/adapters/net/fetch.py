"""HttpImageFetcher: the ImageFetcher port over the guarded client."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from reelserve.adapters.net.addresses import IPNetwork
from reelserve.adapters.net.backend import deadline, system_resolver
from reelserve.adapters.net.client import (
    MAX_REDIRECTS,
    FetchError,
    checked_url,
    open_stream,
    read_capped,
    safe_client,
)
from reelserve.adapters.net.lookups import Lookups, Resolver
from reelserve.domain.errors import InvalidParams

_SHOWN_URL = 100
_HEADERS = {"Accept": "image/jpeg, image/png, image/webp", "Accept-Encoding": "identity"}


def shown(url: str) -> str:
    """The URL as error messages quote it: at most about 100 characters."""
    return url if len(url) <= _SHOWN_URL else url[: _SHOWN_URL - 1] + "…"


class HttpImageFetcher:
    """Fetches http(s) image URLs: public addresses only, capped in bytes and in total time.

    ``timeout_s`` bounds the whole fetch (connect, redirects, body), not each socket operation.
    ``allow_networks`` opens private networks (operator setting ``REELSERVE_ALLOW_NETWORKS``;
    tests open 127.0.0.0/8). ``resolver`` replaces DNS in tests.
    """

    def __init__(
        self,
        timeout_s: float = 10.0,
        *,
        allow_networks: Sequence[IPNetwork] = (),
        max_redirects: int = MAX_REDIRECTS,
        resolver: Resolver = system_resolver,
        lookups: Lookups | None = None,
    ) -> None:
        self._timeout_s = timeout_s
        self._max_redirects = max_redirects
        self._client = safe_client(
            allow_networks=allow_networks, timeout=timeout_s, resolver=resolver, lookups=lookups
        )

    def fetch(self, url: str, *, max_bytes: int) -> bytes:
        try:
            request = self._request(url)
            with deadline(self._timeout_s):
                response = open_stream(self._client, request, max_redirects=self._max_redirects)
                try:
                    if response.status_code != 200:
                        raise FetchError(f"HTTP {response.status_code}")
                    return read_capped(response, max_bytes)
                finally:
                    response.close()
        except FetchError as exc:
            raise InvalidParams(f"could not fetch {shown(url)!r}: {exc}") from exc

    def close(self) -> None:
        self._client.close()

    def _request(self, url: str) -> httpx.Request:
        # Ask for the plain body; read_capped still bounds a server that compresses anyway.
        return self._client.build_request("GET", checked_url(url), headers=_HEADERS)
