"""The ``upstream`` engine: its ``generate`` is the short submitting job. It never renders: it
hands the task to the relay and raises ``TaskHandedOff`` so the worker frees its slot."""

from __future__ import annotations

from typing import NoReturn

from reelserve.adapters.engines.upstream.relay import Relay
from reelserve.domain import catalog
from reelserve.domain.errors import GenerationFailed, TaskCancelled
from reelserve.domain.requests import Mode
from reelserve.ports import CancelCheck, GenerationJob, ProgressCallback


class UpstreamEngine:
    def __init__(self, model: str, relay: Relay) -> None:
        self.name = f"upstream:{'|'.join(relay.models[model].route)}"
        self._model = model
        self._relay = relay

    def supports(self, mode: Mode) -> bool:
        spec = catalog.lookup(self._model)
        return spec is not None and spec.supports(mode)

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> NoReturn:
        if should_cancel():
            raise TaskCancelled
        task = self._relay.tasks.get(job.task_id)
        if task is None or task.lease is None:
            raise GenerationFailed(f"task {job.task_id} is not held by this worker")
        raise self._relay.hand_off(task)
