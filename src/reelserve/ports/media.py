"""Input images: fetching URLs and taking images in."""

from __future__ import annotations

from typing import Protocol

from reelserve.domain.images import LoadedImage


class ImageFetcher(Protocol):
    def fetch(self, url: str, *, max_bytes: int) -> bytes:
        """The body of an http(s) URL; raises InvalidParams naming the URL when it fails."""
        ...


class ImageIntake(Protocol):
    def load(self, field: str, source: str) -> LoadedImage:
        """Fetch (URL) or decode (data URL), check the §2.1.1 rules; raises InvalidParams."""
        ...

    def crop_to_aspect(self, image: LoadedImage, aspect: tuple[int, int]) -> LoadedImage: ...
