"""reelserve: a self-hosted video-generation API server that speaks the MiniMax video API."""

__version__ = "0.1.0"
