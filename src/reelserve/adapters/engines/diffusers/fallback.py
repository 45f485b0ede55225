"""A model whose modes are split: some on a diffusers pipeline, the rest on the preview engine.

Used when the registry maps only some of a catalog model's modes (e.g. a Wan text-to-video
checkpoint for ``MiniMax-Hailuo-02``, which also offers image modes) and ``fallback = "preview"``.
"""

from __future__ import annotations

from reelserve.adapters.engines.diffusers.engine import DiffusersEngine
from reelserve.domain.jobs import GenerationJob, RenderedVideo
from reelserve.domain.requests import Mode
from reelserve.ports import CancelCheck, Engine, ProgressCallback


class ModeFallbackEngine:
    name = "diffusers"

    def __init__(self, primary: DiffusersEngine, fallback: Engine) -> None:
        self.primary = primary
        self.fallback = fallback
        self.device_slot = primary.device_slot

    def warm(self) -> None:
        self.primary.warm()

    def engine_for(self, mode: Mode) -> Engine:
        return self.primary if self.primary.supports(mode) else self.fallback

    def supports(self, mode: Mode) -> bool:
        return self.engine_for(mode).supports(mode)

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> RenderedVideo:
        engine = self.engine_for(job.mode)
        return engine.generate(job, on_progress=on_progress, should_cancel=should_cancel)
