"""Regenerate the preview-engine gallery: one strip of frames per camera move and per mode.

    .venv/bin/python docs/gallery/make_gallery.py

Each strip shows frames 0, 1/3, 2/3 and the last of a one-second 480x270 clip rendered by
``PreviewEngine`` and decoded back from the MP4, so the strips show what a client receives.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.preview.frames import cover
from reelserve.adapters.engines.preview.overlay import font
from reelserve.adapters.engines.preview.storyboard import render_scene
from reelserve.domain import camera
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode

HERE = Path(__file__).parent
WIDTH, HEIGHT, FRAMES = 480, 270, 25
THUMB = (240, 135)


def _job(
    mode: Mode, prompt: str, first: Path | None, last: Path | None, out: Path
) -> GenerationJob:
    plan = camera.parse(prompt)
    return GenerationJob(
        task_id="1",
        model="MiniMax-Hailuo-02",
        mode=mode,
        prompt=plan.prompt,
        raw_prompt=prompt,
        prompt_optimizer=False,
        plan=plan,
        first_frame=first,
        last_frame=last,
        width=WIDTH,
        height=HEIGHT,
        fps=25,
        frame_count=FRAMES,
        seed=4,
        watermark=mode is Mode.T2V,
        output_path=out,
    )


def _strip(video: Path, title: str, target: Path) -> None:
    picks = {0, FRAMES // 3, 2 * FRAMES // 3, FRAMES - 1}
    with av.open(str(video)) as container:
        frames = [
            Image.fromarray(frame.to_ndarray(format="rgb24")).resize(THUMB)
            for index, frame in enumerate(container.decode(video=0))
            if index in picks
        ]
    label = 22
    strip = Image.new("RGB", (THUMB[0] * len(frames) + 3 * (len(frames) - 1), THUMB[1] + label))
    draw = ImageDraw.Draw(strip)
    draw.rectangle((0, 0, strip.width, label), fill=(24, 24, 28))
    draw.text((6, 4), title, font=font(13, bold=True), fill=(255, 255, 255))
    for index, frame in enumerate(frames):
        strip.paste(frame, (index * (THUMB[0] + 3), label))
    strip.quantize(colors=256).save(target, optimize=True)  # keeps the docs light


def _stills(folder: Path) -> tuple[Path, Path, Path]:
    scene = render_scene("A harbour town by the sea at sunset", 3, 1200, 675)
    grid = scene.copy()
    grid[::75, :] = (grid[::75, :] * 0.6).astype(np.uint8)  # a faint grid makes motion legible
    grid[:, ::75] = (grid[:, ::75] * 0.6).astype(np.uint8)
    first, last, subject = folder / "first.png", folder / "last.png", folder / "subject.png"
    Image.fromarray(grid).save(first)
    Image.fromarray(cover(grid[40:, 140:], 1200, 675)).save(last)
    portrait = render_scene("a red fox in the snow", 9, 300, 400)
    Image.fromarray(portrait).save(subject)
    return first, last, subject


def main() -> None:
    engine = PreviewEngine()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first, last, subject = _stills(folder)
        cases: list[tuple[str, Mode, str, Path | None, Path | None]] = [
            (move.value, Mode.I2V, f"[{move.value}]", first, None) for move in camera.CameraMove
        ]
        cases += [
            ("Pan left + Pedestal up", Mode.I2V, "[Pan left, Pedestal up]", first, None),
            ("Push in, then Pan right", Mode.I2V, "[Push in] then [Pan right]", first, None),
            ("T2V storyboard", Mode.T2V, "A lighthouse on a cliff at night [Push in]", None, None),
            ("S2V subject in the storyboard", Mode.S2V, "A fox in a forest", subject, None),
            ("FL2V first -> last morph", Mode.FL2V, "", first, last),
        ]
        for title, mode, prompt, a, b in cases:
            out = folder / "clip.mp4"
            engine.generate(
                _job(mode, prompt, a, b, out),
                on_progress=lambda *_: None,
                should_cancel=lambda: False,
            )
            name = title.lower().replace(" -> ", "-to-").replace(" + ", "-and-")
            name = "".join(c if c.isalnum() else "-" for c in name).strip("-")
            _strip(out, title, HERE / f"{name.replace('--', '-')}.png")


if __name__ == "__main__":
    main()
