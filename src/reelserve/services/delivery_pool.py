"""Status pushes sent concurrently, with a bound per receiver and per key.

The delivery loop used to send one push at a time with a 10 s timeout: a key whose receiver
hangs made every other key's pushes wait (56.5 s in the security review, issue 16 item 4).
``DeliveryPool.dispatch`` claims due pushes while it has a free thread, skipping receivers (a
callback URL) and keys already at their bound, and sends each on its own thread; a slow
receiver holds at most ``per_receiver`` threads, a key at most ``per_key``.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from reelserve.domain.deliveries import ClaimedDelivery
from reelserve.services.webhooks import WebhookService

log = logging.getLogger("reelserve.webhooks")


class DeliveryPool:
    def __init__(
        self, webhooks: WebhookService, *, threads: int, per_receiver: int, per_key: int
    ) -> None:
        self._webhooks = webhooks
        self._threads = threads
        self._per_receiver = per_receiver
        self._per_key = per_key
        self._lock = threading.Lock()
        self._urls: Counter[str] = Counter()
        self._owners: Counter[str] = Counter()
        self._busy = 0
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="reelserve-push")

    @property
    def busy(self) -> int:
        with self._lock:
            return self._busy

    def dispatch(self) -> int:
        """Start as many due pushes as the bounds allow; the number started."""
        started = 0
        while True:
            with self._lock:
                if self._busy >= self._threads:
                    return started
                skip_urls = {u for u, n in self._urls.items() if n >= self._per_receiver}
                skip_owners = {o for o, n in self._owners.items() if n >= self._per_key}
            claimed = self._webhooks.claim(skip_urls=skip_urls, skip_owners=skip_owners)
            if claimed is None:
                return started
            self._take(claimed)
            self._pool.submit(self._send, claimed)
            started += 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _send(self, delivery: ClaimedDelivery) -> None:
        try:
            self._webhooks.attempt(delivery)
        except Exception:  # recorded nowhere: the lease runs out and the push is tried again
            log.exception("webhook %s: the attempt failed", delivery.id)
        finally:
            self._give(delivery)

    def _take(self, delivery: ClaimedDelivery) -> None:
        with self._lock:
            self._busy += 1
            self._urls[delivery.url] += 1
            self._owners[delivery.owner_key_id] += 1

    def _give(self, delivery: ClaimedDelivery) -> None:
        with self._lock:
            self._busy -= 1
            for counter, name in (
                (self._urls, delivery.url),
                (self._owners, delivery.owner_key_id),
            ):
                counter[name] -= 1
                if counter[name] <= 0:
                    del counter[name]
