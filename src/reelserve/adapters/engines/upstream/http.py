"""The HTTP side every dialect shares: base URL (any gateway prefix), auth, error sorting.

The API key is held in a ``Secret`` whose repr hides it, and it is sent only to the upstream's
own origin; no message built here contains it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from reelserve.adapters.engines.upstream.errors import Rejected, Retryable, from_http


class Secret:
    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def png_data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


class UpstreamHttp:
    """An httpx client on ``base_url`` (kept with its path prefix) with the upstream's key."""

    def __init__(self, name: str, base_url: str, key: Secret | None, timeout_s: float) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False)

    def url(self, path: str) -> str:
        return self.base_url + path

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._key.reveal()}"} if self._key else {}

    def same_origin(self, url: str) -> bool:
        mine, theirs = urlsplit(self.base_url), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)

    def call(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """The response (2xx, or 4xx that a dialect reads itself); raises the errors of
        ``errors.from_http`` for auth, balance, rate limits and 5xx, Retryable on the network."""
        try:
            response = self._client.request(
                method, self.url(path), headers={**self.auth_headers(), **(headers or {})}, **kwargs
            )
        except httpx.HTTPError as error:  # timeouts, refused and dropped connections
            raise Retryable(self.name, 1001, f"{method} {path}: {type(error).__name__}") from None
        problem = from_http(self.name, response.status_code, _brief(response))
        if problem is not None and not isinstance(problem, Rejected):
            raise problem  # plain 4xx (400, 404, 422) go back to the dialect to read its body
        return response

    def json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise Retryable(self.name, 1000, "the answer is not JSON") from None
        if not isinstance(body, dict):
            raise Retryable(self.name, 1000, "the answer is not a JSON object")
        return body

    def close(self) -> None:
        self._client.close()


def _brief(response: httpx.Response) -> str:
    text = response.text[:300] if response.content else ""
    return text.replace("\n", " ") or response.reason_phrase


def error_text(response: httpx.Response) -> str:
    """The message of an error body: ``{"error": {"message": …}}`` (OpenAI, MiniMax V2)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {_brief(response)}"
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return f"HTTP {response.status_code}: {message or _brief(response)}"
