"""Wake-ups for idle workers: in one process, across processes on one machine (SQLite), and
through PostgreSQL's LISTEN/NOTIFY."""

from reelserve.adapters.wakeups.local import LocalWakeups

__all__ = ["LocalWakeups"]
