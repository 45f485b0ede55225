"""Engines: render one fully resolved job to an MP4."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from reelserve.domain.jobs import GenerationJob, RenderedVideo
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase

ProgressCallback = Callable[[Phase, int, int], None]
CancelCheck = Callable[[], bool]


class Engine(Protocol):
    name: str

    def supports(self, mode: Mode) -> bool: ...

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> RenderedVideo:
        """Render the job to ``job.output_path``. Raise TaskCancelled when should_cancel()."""
        ...
