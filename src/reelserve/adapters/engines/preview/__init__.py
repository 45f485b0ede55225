"""The CPU preview engine: camera moves over a still, first→last morphs, storyboard cards."""

from reelserve.adapters.engines.preview.engine import PreviewEngine

__all__ = ["PreviewEngine"]
