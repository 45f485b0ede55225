"""The storyboard card: deterministic, prompt-driven, captioned; the AIGC mark is visible."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.preview.storyboard import render_scene
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
