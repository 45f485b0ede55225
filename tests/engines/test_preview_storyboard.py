"""The storyboard card: deterministic, prompt-driven, captioned; the AIGC mark is visible."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from reelserve.adapters.engines.preview import PreviewEngine, overlay, storyboard
from reelserve.adapters.engines.preview.frames import new_frame
from reelserve.adapters.engines.preview.storyboard import caption, render_scene
from reelserve.adapters.engines.preview.themes import theme_for
from reelserve.domain.requests import Mode

from .helpers import Recorder, decode_rgb, make_job


def test_same_prompt_and_seed_give_the_same_scene() -> None:
    one = render_scene("a quiet harbour", 5, 320, 180)
    assert np.array_equal(one, render_scene("a quiet harbour", 5, 320, 180))
    assert not np.array_equal(one, render_scene("a quiet harbour", 6, 320, 180))


def test_prompt_words_pick_palette_and_props() -> None:
    night_city = theme_for("A neon city street at night")
    assert night_city.name == "night" and night_city.stars and night_city.city
    assert theme_for("Waves on a beach at sunset").water
    assert theme_for("雪山").name == "snow"
    assert theme_for("a cat").name == "day"


def _first_frame(tmp_path: Path, *, watermark: bool, prompt: str, name: str) -> np.ndarray:
    job = make_job(tmp_path, Mode.T2V, prompt=prompt, frame_count=2, watermark=watermark, name=name)
    PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
    return decode_rgb(job.output_path)[0].astype(np.int16)


def test_watermark_is_drawn_in_the_corner(tmp_path: Path) -> None:
    plain = _first_frame(tmp_path, watermark=False, prompt="[Static shot] A lake", name="a.mp4")
    marked = _first_frame(tmp_path, watermark=True, prompt="[Static shot] A lake", name="b.mp4")
    corner = np.abs(marked - plain)[:30, -110:].mean()  # top right: the "AI generated" mark
    rest = np.abs(marked - plain)[60:120, :200].mean()
    assert corner > 10 * max(rest, 0.5)


def test_caption_is_drawn_over_the_scene(tmp_path: Path) -> None:
    frame = _first_frame(tmp_path, watermark=False, prompt="[Static shot] A lake", name="c.mp4")
    scene = render_scene("A lake", 7, 320, 180).astype(np.int16)  # a static shot is the scene
    difference = np.abs(frame - scene)
    assert difference[:80].mean() < 3  # only coding noise above the caption
    assert difference[-45:-12, 40:280].mean() > 15  # the dark caption card with white words


def _caption_luma(text: str) -> np.ndarray:
    _, planes = new_frame(640, 360)
    caption(text, "the camera pans left", 640, 360).blend_into(planes)
    return planes.y.astype(np.int16)


def _pixels_apart(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.count_nonzero(np.abs(a - b) > 40))


def test_a_chinese_caption_draws_its_glyphs_not_boxes() -> None:
    """Issue 17: Chinese prompts drew .notdef boxes (the font lookup only knew DejaVu)."""
    if overlay.cjk_font(20) is None:
        pytest.skip("no CJK font installed: `make system-deps` installs fonts-wqy-zenhei")
    text = "海边的灯塔，黄昏"
    face, missing = overlay.font_for(text, 20)
    assert missing == ""
    assert overlay.missing_glyphs(face, text) == ""
    chinese = _caption_luma(text)
    boxes = _caption_luma(overlay.MISSING_GLYPH * len(text))  # what a .notdef caption looks like
    assert _pixels_apart(chinese, boxes) > 300  # not the boxes
    assert (
        _pixels_apart(chinese, _caption_luma("山间的小溪，清晨")) > 300
    )  # other words, other glyphs


def test_a_caption_without_a_font_for_its_script_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(overlay, "CJK_FONTS", ())
    overlay.cjk_font.cache_clear()
    try:
        assert overlay.font_for("海边的灯塔 at dusk", 20)[1] == "海边的灯塔"
        with caplog.at_level(logging.WARNING):
            flagged = _caption_luma("海边的灯塔")
        assert "no installed font draws" in caplog.text
        # the same boxes without the notice: only the card's tag line differs
        monkeypatch.setattr(storyboard, "font_for", lambda text, size: (overlay.font(size), ""))
        silent = _caption_luma("海边的灯塔")
    finally:
        overlay.cjk_font.cache_clear()
    rows = np.nonzero(np.abs(flagged - silent).max(axis=1) > 40)[0]
    assert len(rows) > 0 and rows.max() - rows.min() < 20  # one line of small print
