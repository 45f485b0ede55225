"""Output sizes (MINIMAX_API.md §4) and the last-frame crop."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reelserve.domain import geometry
from reelserve.domain.requests import Mode

IMAGE_MODES = (Mode.I2V, Mode.FL2V)


@pytest.mark.parametrize(
    ("resolution", "size"),
    [("720P", (1280, 720)), ("768P", (1366, 768)), ("1080P", (1920, 1080)), ("512P", (910, 512))],
)
@pytest.mark.parametrize("first_frame", [None, (1000, 1000), (300, 2000)])
def test_text_to_video_is_always_16_9_landscape(
    resolution: str, size: tuple[int, int], first_frame: tuple[int, int] | None
) -> None:
    # T2V and S2V have no aspect input: a subject image does not decide the frame.
    assert geometry.output_size(Mode.T2V, resolution, first_frame) == size
    assert geometry.output_size(Mode.S2V, resolution, first_frame) == size


@pytest.mark.parametrize("mode", IMAGE_MODES)
@pytest.mark.parametrize("resolution", ["512P", "720P", "768P", "1080P"])
def test_an_image_mode_without_a_first_frame_size_falls_back_to_16_9(
    mode: Mode, resolution: str
) -> None:
    assert geometry.output_size(mode, resolution) == geometry.T2V_SIZES[resolution]


@pytest.mark.parametrize("mode", IMAGE_MODES)
@pytest.mark.parametrize(
    ("resolution", "first_frame", "size"),
    [
        ("768P", (1152, 1024), (864, 768)),  # 9:8, observed upstream (§4)
        ("768P", (1080, 1920), (768, 1366)),  # portrait 9:16, observed upstream
        ("768P", (1920, 1080), (1366, 768)),
        ("1080P", (1920, 1080), (1920, 1080)),
        ("1080P", (1080, 1920), (1080, 1920)),
        ("720P", (1920, 1080), (1280, 720)),
        ("720P", (1000, 1000), (720, 720)),
        ("512P", (1024, 768), (682, 512)),  # 4:3: 682.67 → nearest even 682
        ("512P", (768, 1024), (512, 682)),
        ("512P", (1920, 1080), (910, 512)),
        ("768P", (400, 1000), (768, 1920)),  # 2:5, the narrowest allowed
        ("1080P", (1000, 400), (2700, 1080)),  # 5:2, the widest allowed
        ("768P", (301, 301), (768, 768)),  # small frames are scaled up
        ("768P", (4000, 3001), (1024, 768)),
    ],
)
def test_image_modes_keep_the_first_frame_aspect(
    mode: Mode, resolution: str, first_frame: tuple[int, int], size: tuple[int, int]
) -> None:
    assert geometry.output_size(mode, resolution, first_frame) == size


@settings(max_examples=200, database=None)
@given(
    st.sampled_from(IMAGE_MODES),
    st.sampled_from(["512P", "720P", "768P", "1080P"]),
    st.integers(min_value=301, max_value=8000),
    st.integers(min_value=301, max_value=8000),
)
@example(Mode.I2V, "512P", 512, 513)  # rounds to a square (found by a random run)
def test_image_mode_sizes_are_even_with_the_short_side_at_the_resolution(
    mode: Mode, resolution: str, width: int, height: int
) -> None:
    out_w, out_h = geometry.output_size(mode, resolution, (width, height))
    assert out_w % 2 == 0 and out_h % 2 == 0
    assert min(out_w, out_h) == int(resolution[:-1])
    if out_w != out_h:  # near-square inputs may round to a square output
        assert (out_w > out_h) is (width > height)
    # The long side is the nearest even number to the exact scaled length.
    exact = min(out_w, out_h) * max(width, height) / min(width, height)
    assert abs(max(out_w, out_h) - exact) <= 1


@pytest.mark.parametrize(
    ("resolution", "short"), [("512P", 512), ("720P", 720), ("768P", 768), ("1080p", 1080)]
)
def test_short_side(resolution: str, short: int) -> None:
    assert geometry.short_side(resolution) == short


@pytest.mark.parametrize(
    ("value", "result"),
    [(864.0, 864), (1365.33, 1366), (682.67, 682), (911.0, 912), (3.0, 4), (1.0, 2), (0.0, 2)],
)
def test_even(value: float, result: int) -> None:
    assert geometry.even(value) == result


@pytest.mark.parametrize(
    ("size", "aspect", "box"),
    [
        ((1920, 1080), (16, 9), (0, 0, 1920, 1080)),  # already right
        ((1920, 1080), (1, 1), (420, 0, 1500, 1080)),  # too wide: trim the sides
        ((1080, 1920), (1, 1), (0, 420, 1080, 1500)),  # too tall: trim top and bottom
        ((1000, 1000), (16, 9), (0, 219, 1000, 781)),
        ((1000, 1000), (9, 16), (219, 0, 781, 1000)),
        ((1152, 1024), (1080, 1920), (288, 0, 864, 1024)),
        ((1, 1000), (16, 9), (0, 499, 1, 500)),  # never an empty box
        ((1000, 1), (9, 16), (499, 0, 500, 1)),
    ],
)
def test_crop_box_to_aspect(
    size: tuple[int, int], aspect: tuple[int, int], box: tuple[int, int, int, int]
) -> None:
    assert geometry.crop_box_to_aspect(size, aspect) == box


@settings(max_examples=200, database=None)
@given(
    st.tuples(st.integers(1, 5000), st.integers(1, 5000)),
    st.tuples(st.integers(1, 50), st.integers(1, 50)),
)
def test_crop_box_is_centred_inside_and_has_the_aspect(
    size: tuple[int, int], aspect: tuple[int, int]
) -> None:
    left, top, right, bottom = geometry.crop_box_to_aspect(size, aspect)
    width, height = size
    assert 0 <= left < right <= width and 0 <= top < bottom <= height
    assert abs(left - (width - right)) <= 1 and abs(top - (height - bottom)) <= 1
    assert left == 0 or top == 0  # only one pair of sides is trimmed
    box_w, box_h = right - left, bottom - top
    target = aspect[0] / aspect[1]
    if left > 0:  # rounding the trimmed side to whole pixels: at most half a pixel off
        assert abs(box_w - box_h * target) <= 0.5 or box_w == 1
    if top > 0:
        assert abs(box_h - box_w / target) <= 0.5 or box_h == 1
