"""Verify reelserve's signed callbacks (Standard Webhooks, https://www.standardwebhooks.com).

Every push carries three headers::

    webhook-id:        a unique message id (the same on every retry of one message)
    webhook-timestamp: Unix seconds when it was signed
    webhook-signature: "v1,<base64 HMAC-SHA256>" (several, space-separated, during key rotation)

The HMAC-SHA256 is computed over ``f"{id}.{timestamp}.{body}"`` (the raw body bytes) with the
key derived from the per-key secret ``whsec_…`` exactly like this:

1. strip the ``whsec_`` prefix;
2. ``base64.b64decode(rest, validate=True)`` (standard alphabet, padding required);
3. if that raises (e.g. the rest contains ``-`` or ``_``), use ``rest.encode()`` as the key.

reelserve's per-key secrets are ``"whsec_" + secrets.token_urlsafe(24)``, so either branch can
apply; a server signing with the same rule always verifies here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from reelserve_client.errors import WebhookVerificationError

TOLERANCE_S = 300  # Standard Webhooks' recommended window against replays


def webhook_key(secret: str) -> bytes:
    """The HMAC key for a ``whsec_…`` secret (see the module docstring for the exact rule)."""
    rest = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(rest, validate=True)
    except (binascii.Error, ValueError):
        return rest.encode()


def sign_webhook(body: bytes | str, *, msg_id: str, timestamp: int, secret: str) -> str:
    """The ``webhook-signature`` value for a message (what a conforming server sends)."""
    raw = body.encode() if isinstance(body, str) else body
    signed = f"{msg_id}.{timestamp}.".encode() + raw
    digest = hmac.new(webhook_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance_s: float = TOLERANCE_S,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a webhook and return its JSON payload; raises ``WebhookVerificationError``.

    ``headers`` may be any mapping (header names are matched case-insensitively).
    """
    lower = {key.lower(): value for key, value in headers.items()}
    msg_id = lower.get("webhook-id")
    stamp = lower.get("webhook-timestamp")
    signatures = lower.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError(
            "missing webhook-id, webhook-timestamp or webhook-signature header"
        )
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError(f"webhook-timestamp {stamp!r} is not an integer") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise WebhookVerificationError(
            f"webhook-timestamp {timestamp} is more than {tolerance_s:g} s from now"
        )
    expected = sign_webhook(body, msg_id=msg_id, timestamp=timestamp, secret=secret)
    if not any(hmac.compare_digest(expected, sig) for sig in signatures.split()):
        raise WebhookVerificationError("no webhook-signature matches the body and secret")
    raw = body.decode() if isinstance(body, bytes) else body
    try:
        payload: dict[str, Any] = json.loads(raw)
    except ValueError:
        raise WebhookVerificationError("the webhook body is not JSON") from None
    return payload
