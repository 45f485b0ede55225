"""The ``preview`` engine kind: a model mapped to the CPU preview engine (no options)."""

from __future__ import annotations

from reelserve.adapters.engines.registry import EngineRequest
from reelserve.ports import Engine


def make(request: EngineRequest) -> Engine:
    """The engine factory of the ``preview`` kind: the one shared preview engine."""
    request.check_keys(set())
    return request.preview
