"""Cross-machine wake-ups through PostgreSQL: ``NOTIFY`` on create, ``LISTEN`` in workers.

A process that waits for work keeps one extra connection (psycopg, autocommit) listening on
the channel; a thread turns each notification into a local wake-up. If that connection drops,
it is opened again after a pause and polling covers the gap.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from reelserve.adapters.wakeups.local import LocalWakeups

log = logging.getLogger(__name__)
CHANNEL = "reelserve_tasks"


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` → the ``postgresql://…`` that psycopg.connect takes."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class PostgresWakeups:
    def __init__(self, database: Engine, *, channel: str = CHANNEL) -> None:
        self._database = database
        self._channel = channel
        self._local = LocalWakeups()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._listening = False

    def notify(self) -> None:
        self._local.notify()
        try:
            with self._database.begin() as conn:
                conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": self._channel})
        except Exception:  # the task is committed already; the workers' poll will find it
            log.exception("NOTIFY %s failed", self._channel)

    def interrupt(self) -> None:
        self._local.interrupt()

    def wait(self, timeout: float) -> bool:
        with self._lock:
            if not self._listening:
                self._listening = True
                threading.Thread(target=self._listen, name="wakeups", daemon=True).start()
        return self._local.wait(timeout)

    def _listen(self) -> None:
        import psycopg

        url = libpq_url(self._database.url.render_as_string(hide_password=False))
        while not self._closed.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{self._channel}"')
                    self._local.notify()  # anything queued while not listening: look now
                    self._drain(conn)
            except psycopg.Error as error:
                log.warning("LISTEN %s: %s; polling until it reconnects", self._channel, error)
                self._closed.wait(1.0)

    def _drain(self, conn: Any) -> None:
        while not self._closed.is_set():
            for _ in conn.notifies(timeout=1.0):
                self._local.notify()

    def close(self) -> None:
        self._closed.set()
        self._local.close()
