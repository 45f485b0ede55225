"""Exact output sizes ("WxH"): OpenAI's ``size`` and MiniMax V2's resolution × ratio.

A catalog model with its own ``sizes`` (sora-2, sora-2-pro) offers exactly those; the others offer
their text-to-video size of each resolution, landscape and portrait (geometry.T2V_SIZES).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from reelserve.domain.catalog import ModelSpec
from reelserve.domain.geometry import T2V_SIZES, even, short_side

_SIZE = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")
_RATIO = re.compile(r"^([1-9][0-9]?):([1-9][0-9]?)$")


def parse_size(text: str) -> tuple[int, int] | None:
    """(width, height) of "1280x720"; None when it is not that shape."""
    match = _SIZE.match(text.strip())
    return (int(match[1]), int(match[2])) if match else None


def show(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def sizes_of(spec: ModelSpec) -> Mapping[str, str]:
    """The model's exact sizes, each with the catalog resolution it is priced and checked at."""
    if spec.sizes:
        found = {}
        for text in spec.sizes:
            parsed = parse_size(text)
            assert parsed is not None, text  # the catalog's own table
            found[text] = f"{min(parsed)}P"
        return found
    resolutions = dict.fromkeys(r for matrix in spec.modes.values() for r in matrix)
    found = {}
    for resolution in resolutions:
        if resolution in T2V_SIZES:
            width, height = T2V_SIZES[resolution]
            found[show((width, height))] = resolution
            found[show((height, width))] = resolution
    return found


def ratio_size(resolution: str, ratio: str) -> tuple[int, int] | None:
    """The output size of a resolution at "W:H" (short side = the resolution); None for
    "adaptive" or a ratio that is not W:H."""
    match = _RATIO.match(ratio)
    if match is None:
        return None
    across, down = int(match[1]), int(match[2])
    short = short_side(resolution)
    if across >= down:
        return even(short * across / down), short
    return short, even(short * down / across)
