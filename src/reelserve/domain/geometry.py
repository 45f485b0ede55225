"""The output-size rule (MINIMAX_API.md §4).

Text-to-video is always 16:9 landscape: 720P → 1280×720, 768P → 1366×768, 1080P → 1920×1080.
Image modes keep the first frame's aspect: the short side is the resolution number and the long
side is scaled by the aspect and rounded to the nearest even integer (H.264 with yuv420p needs even
dimensions; upstream rounding is UNVERIFIED, observed: 864×768 for a 9:8 frame at 768P).
"""

from __future__ import annotations

from reelserve.domain.requests import Mode

T2V_SIZES = {
    "512P": (910, 512),
    "720P": (1280, 720),
    "768P": (1366, 768),
    "1080P": (1920, 1080),
    "1024P": (1792, 1024),  # sora-2-pro (DIALECTS.md §1)
    "2K": (2560, 1440),  # MiniMax-H3 (DIALECTS.md §2); 2K read as QHD, 1440 on the short side
}
_NAMED = {"2K": 1440}


def short_side(resolution: str) -> int:
    return _NAMED.get(resolution) or int(resolution.rstrip("Pp"))


def even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def output_size(
    mode: Mode, resolution: str, first_frame: tuple[int, int] | None = None
) -> tuple[int, int]:
    """(width, height) of the video for this mode, resolution and first-frame size."""
    if mode in (Mode.T2V, Mode.S2V) or first_frame is None:
        return T2V_SIZES[resolution]
    width, height = first_frame
    short = short_side(resolution)
    if width >= height:
        return even(short * width / height), short
    return short, even(short * height / width)


def crop_box_to_aspect(size: tuple[int, int], aspect: tuple[int, int]) -> tuple[int, int, int, int]:
    """The centred (left, top, right, bottom) box of ``size`` that has the aspect of ``aspect``.

    Used to crop the last frame to the first frame's aspect before both are resized.
    """
    width, height = size
    target = aspect[0] / aspect[1]
    if width / height > target:  # too wide: trim the sides
        new_width = max(1, round(height * target))
        left = (width - new_width) // 2
        return left, 0, left + new_width, height
    new_height = max(1, round(width / target))
    top = (height - new_height) // 2
    return 0, top, width, top + new_height
