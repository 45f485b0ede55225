"""An input image after intake."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedImage:
    """A decoded, checked input image, normalised to an RGB PNG (EXIF rotation applied)."""

    png: bytes
    width: int
    height: int
    source_format: str  # JPEG, PNG or WEBP, sniffed from the content
