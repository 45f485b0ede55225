"""MiniMax's v1 video API (``/v1/video_generation``, query, files; MINIMAX_API.md §2)."""

from reelserve.api.dialects.minimax_v1.router import router

__all__ = ["router"]
