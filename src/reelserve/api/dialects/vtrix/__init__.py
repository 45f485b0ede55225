"""Seed 002's gateway (Vtrix, ``/model/v1/generation…``; MINIMAX_API.md §11.1)."""

from reelserve.api.dialects.vtrix.router import router

__all__ = ["router"]
