"""Structured logs: one JSON object per line, with the task id when one is in play.

``configure(level)`` installs the formatter on the root logger. The task id comes from
``extra={"task_id": …}`` on a call, or from ``task_context(task_id)`` around a block of work (a
context variable, so threads and asyncio tasks each keep their own).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

current_task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "reelserve_task_id", default=None
)
# The request being answered (its ``Trace-Id`` header); set by the API's outermost layer.
current_trace_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "reelserve_trace_id", default=None
)

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is kept.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


@contextlib.contextmanager
def task_context(task_id: str | None) -> Iterator[None]:
    """Log lines inside the block carry ``task_id``."""
    token = current_task_id.set(task_id)
    try:
        yield
    finally:
        current_task_id.reset(token)


class JsonFormatter(logging.Formatter):
    """One line: ``{"time", "level", "logger", "msg", "task_id"?, "trace_id"?, …, "exc"?}``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        task_id = getattr(record, "task_id", None) or current_task_id.get()
        if task_id:
            entry["task_id"] = task_id
        trace_id = current_trace_id.get()
        if trace_id:
            entry["trace_id"] = trace_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON lines (replaces existing root handlers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
