"""Engine kinds for the worker tests, registered in code (registry.register).

``gated``: every engine of a registry file shares one device slot and one lock (as the
diffusers runtime does) and holds its task until the test opens the gate; then the preview
engine renders a real MP4. ``t2v_only``: an engine that serves text-to-video alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from reelserve.adapters.engines import registry
from reelserve.adapters.engines.registry import EngineRequest
from reelserve.domain.jobs import GenerationJob, RenderedVideo
from reelserve.domain.requests import Mode
from reelserve.ports import CancelCheck, Engine, ProgressCallback


@dataclass
class Device:
    lock: threading.Lock = field(default_factory=threading.Lock)
    gate: threading.Event = field(default_factory=threading.Event)


class GatedEngine:
    name = "gated"

    def __init__(self, device: Device, preview: Engine, modes: tuple[Mode, ...]) -> None:
        self.device_slot = device
        self._device = device
        self._preview = preview
        self._modes = modes

    def supports(self, mode: Mode) -> bool:
        return mode in self._modes

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> RenderedVideo:
        with self._device.lock:  # the device runs one job at a time, like Runtime.lock
            self._device.gate.wait(30)
            return self._preview.generate(job, on_progress=on_progress, should_cancel=should_cancel)


DEVICE = Device()


def make_gated(request: EngineRequest) -> Engine:
    request.check_keys(set())
    return GatedEngine(DEVICE, request.preview, tuple(request.model.modes))


def make_t2v_only(request: EngineRequest) -> Engine:
    request.check_keys(set())
    device = Device()
    device.gate.set()
    return GatedEngine(device, request.preview, (Mode.T2V,))


@contextmanager
def registered(name: str, factory: registry.EngineFactory) -> Iterator[None]:
    registry.register(name, factory)
    try:
        yield
    finally:
        registry.unregister(name)


def write_registry(directory: Path, kind: str, *models: str) -> Path:
    path = directory / "engines.toml"
    path.write_text("".join(f'[models."{m}"]\nengine = "{kind}"\n' for m in models))
    return path
