"""The ``upstream`` engine: its ``generate`` is the short submitting job. It never renders: it
hands the task to the relay and raises ``TaskHandedOff`` so the worker frees its slot.

Engines are built wherever the registry is read (the API too); the relay they submit through
is bound later, only where tasks run (``bind_relay``), through the shared ``RelayBinding``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from reelserve.adapters.engines.upstream.config import RelayConfig
from reelserve.adapters.engines.upstream.relay import Relay
from reelserve.domain import catalog
from reelserve.domain.errors import GenerationFailed, TaskCancelled
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode
from reelserve.ports import CancelCheck, ProgressCallback


@dataclass
class RelayBinding:
    """One per registry file: the relay configuration, and the relay once bound."""

    config: RelayConfig
    relay: Relay | None = None


class UpstreamEngine:
    def __init__(self, model: str, binding: RelayBinding) -> None:
        self.name = f"upstream:{'|'.join(binding.config.models[model].route)}"
        self.relay_binding = binding
        self._model = model

    def supports(self, mode: Mode) -> bool:
        spec = catalog.lookup(self._model)
        return spec is not None and spec.supports(mode)

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> NoReturn:
        relay = self.relay_binding.relay
        if relay is None:
            raise GenerationFailed("the relay is not running in this process")
        if should_cancel():
            raise TaskCancelled
        task = relay.repository.get(job.task_id)
        if task is None or task.lease is None:
            raise GenerationFailed(f"task {job.task_id} is not held by this worker")
        raise relay.hand_off(task)
