"""Input images: fetching URLs and taking images in."""

from __future__ import annotations

from typing import BinaryIO, Literal, Protocol

from reelserve.domain.images import LoadedImage


class ImageFetcher(Protocol):
    def fetch(self, url: str, *, max_bytes: int) -> bytes:
        """The body of an http(s) URL; raises InvalidParams naming the URL when it fails."""
        ...


class ImageIntake(Protocol):
    def load(self, field: str, source: str | bytes) -> LoadedImage:
        """Fetch (URL), decode (data URL) or take the bytes, check the §2.1.1 rules; raises
        InvalidParams."""
        ...

    def crop_to_aspect(self, image: LoadedImage, aspect: tuple[int, int]) -> LoadedImage: ...


class Stills(Protocol):
    """Thumbnails and sprite sheets of a stored video."""

    def thumbnail(self, video: BinaryIO, *, fmt: Literal["webp", "jpeg"]) -> bytes:
        """One frame from the middle of the video, encoded as ``fmt``."""
        ...

    def spritesheet(self, video: BinaryIO, *, columns: int, rows: int, width: int) -> bytes:
        """A JPEG grid of ``columns`` × ``rows`` evenly spaced frames, each ``width`` wide."""
        ...
