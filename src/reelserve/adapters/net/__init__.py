"""Safe outbound HTTP: every request a client's URL can cause goes through here.

Addresses are checked at connect time after DNS (public only, plus ``allow_networks``), redirects
are followed by hand and re-checked, proxies from the environment are ignored, and bodies are
capped in bytes and in time.
"""

from reelserve.adapters.net.addresses import IPNetwork, parse_networks, refusal
from reelserve.adapters.net.backend import BlockedAddress, GuardedBackend, deadline
from reelserve.adapters.net.client import (
    FetchError,
    checked_url,
    open_stream,
    read_capped,
    safe_client,
)
from reelserve.adapters.net.fetch import HttpImageFetcher
from reelserve.adapters.net.webhooks import SafeHttpWebhookSender

__all__ = [
    "BlockedAddress",
    "FetchError",
    "GuardedBackend",
    "HttpImageFetcher",
    "IPNetwork",
    "SafeHttpWebhookSender",
    "checked_url",
    "deadline",
    "open_stream",
    "parse_networks",
    "read_capped",
    "refusal",
    "safe_client",
]
