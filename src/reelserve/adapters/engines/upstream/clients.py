"""One client per dialect name (config.DIALECTS)."""

from __future__ import annotations

from reelserve.adapters.engines.upstream.config import UpstreamConfig
from reelserve.adapters.engines.upstream.http import UpstreamHttp
from reelserve.adapters.engines.upstream.minimax import MinimaxClient
from reelserve.adapters.engines.upstream.minimax_v2 import MinimaxV2Client
from reelserve.adapters.engines.upstream.openai import OpenAIVideosClient
from reelserve.adapters.engines.upstream.ports import UpstreamClient


def client_for(config: UpstreamConfig) -> UpstreamClient:
    http = UpstreamHttp(config.name, config.base_url, config.key, config.timeout_s)
    if config.dialect == "minimax":
        return MinimaxClient(http)
    if config.dialect == "minimax-v2":
        return MinimaxV2Client(http)
    if config.dialect == "openai":
        return OpenAIVideosClient(http)
    raise ValueError(f"no client for dialect {config.dialect!r}")
