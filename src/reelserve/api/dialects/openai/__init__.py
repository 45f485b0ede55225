"""The OpenAI Videos dialect (``/v1/videos``, DIALECTS.md §1)."""

from reelserve.api.dialects.openai.router import router

__all__ = ["router"]
