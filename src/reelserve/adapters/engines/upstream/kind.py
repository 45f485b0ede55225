"""The ``upstream`` engine kind (entry point ``reelserve.engines``): a model with
``engine = "upstream"`` is served by the relay (docs/relay.md). The file's ``[upstreams.*]``
tables are read once per file; keys come from the environment variables they name."""

from __future__ import annotations

import os

from reelserve.adapters.engines.registry import EngineRequest, RegistryError
from reelserve.adapters.engines.upstream.config import UpstreamConfigError, load
from reelserve.adapters.engines.upstream.engine import RelayBinding, UpstreamEngine
from reelserve.ports import Engine


def make(request: EngineRequest) -> Engine:
    file = request.file

    def parse() -> RelayBinding:
        file.table("upstreams")  # marked read: this kind owns it
        try:
            config = load(file.path, file.data, os.environ)  # keys: read here, never logged
        except UpstreamConfigError as error:
            raise RegistryError(str(error)) from None
        assert config is not None  # this model relays, so the file does
        return RelayBinding(config=config)

    binding = file.shared("upstream", parse)
    return UpstreamEngine(request.model.name, binding)
