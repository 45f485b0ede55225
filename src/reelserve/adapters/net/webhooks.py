"""SafeHttpWebhookSender: the WebhookSender port over the guarded client.

A ``callback_url`` is a URL a client chose, so webhooks go through the same guard as image fetches.
Redirects are not followed: a receiver answers where it was asked to, and a 3xx counts as a
failed attempt (the retry policy then decides), as Stripe and Standard Webhooks senders do.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import httpx

from reelserve.adapters.net.addresses import IPNetwork
from reelserve.adapters.net.backend import deadline, system_resolver
from reelserve.adapters.net.client import (
    FetchError,
    checked_url,
    describe,
    read_capped,
    safe_client,
)
from reelserve.adapters.net.lookups import Lookups, Resolver

MAX_ANSWER_BYTES = 64 * 1024


class SafeHttpWebhookSender:
    """POSTs challenges and status pushes; ``timeout_s`` of each call bounds it in total."""

    def __init__(
        self,
        *,
        allow_networks: Sequence[IPNetwork] = (),
        resolver: Resolver = system_resolver,
        lookups: Lookups | None = None,
        user_agent: str = "reelserve-webhooks",
    ) -> None:
        self._client = safe_client(
            allow_networks=allow_networks,
            resolver=resolver,
            lookups=lookups,
            user_agent=user_agent,
        )

    def challenge(self, url: str, value: str, timeout_s: float) -> bool:
        return self.check_challenge(url, value, timeout_s) is None

    def check_challenge(self, url: str, value: str, timeout_s: float) -> str | None:
        """None when the receiver echoed ``value`` in time, else why not (for logs and errors)."""
        body = json.dumps({"challenge": value}).encode()
        try:
            status, answer = self._post(url, body, {"Content-Type": "application/json"}, timeout_s)
        except FetchError as exc:
            return str(exc)
        if status != 200:
            return f"HTTP {status}"
        try:
            echoed = json.loads(answer)
        except ValueError:
            return "the answer is not JSON"
        if not isinstance(echoed, dict) or echoed.get("challenge") != value:
            return "the answer does not echo the challenge"
        return None

    def deliver(self, url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> int:
        sent = {"Content-Type": "application/json", **headers}
        try:
            status, _ = self._post(url, body, sent, timeout_s)
        except FetchError:
            return 0
        return status

    def close(self) -> None:
        self._client.close()

    def _post(
        self, url: str, body: bytes, headers: dict[str, str], timeout_s: float
    ) -> tuple[int, bytes]:
        request = self._client.build_request(
            "POST", checked_url(url), content=body, headers=headers, timeout=timeout_s
        )
        with deadline(timeout_s):
            try:
                response = self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise FetchError(describe(exc)) from exc
            try:
                # Read the answer (bounded) so that the connection can be reused.
                answer = read_capped(response, MAX_ANSWER_BYTES)
            finally:
                response.close()
        return response.status_code, answer
