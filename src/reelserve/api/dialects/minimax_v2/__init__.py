"""MiniMax's V2 video API (``/v2/video_generation``, MiniMax-H3; DIALECTS.md §2)."""

from reelserve.api.dialects.minimax_v2.router import router

__all__ = ["router"]
