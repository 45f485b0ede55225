"""Every mode of the preview engine writes a real H.264 MP4 of exactly the asked geometry."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.media.video import probe
from reelserve.domain.errors import GenerationFailed, TaskCancelled
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase

from .helpers import Recorder, make_job, save_png, textured


@pytest.fixture
def pictures(tmp_path: Path) -> tuple[Path, Path]:
    first = save_png(textured(480, 270, seed=1), tmp_path / "first.png")
    last = save_png(textured(480, 270, seed=2), tmp_path / "last.png")
    return first, last


@pytest.mark.parametrize("mode", list(Mode))
def test_each_mode_writes_exact_mp4(
    tmp_path: Path, pictures: tuple[Path, Path], mode: Mode
) -> None:
    first, last = pictures
    job = make_job(
        tmp_path,
        mode,
        prompt="A lighthouse at night [Push in], then [Pan left]",
        width=320,
        height=180,
        frame_count=30,
        first=None if mode is Mode.T2V else first,
        last=last if mode is Mode.FL2V else None,
    )
    recorder = Recorder()
    result = PreviewEngine().generate(
        job, on_progress=recorder.progress, should_cancel=recorder.should_cancel
    )
    info = probe(job.output_path)
    assert (info.width, info.height, info.frame_count) == (320, 180, 30)
    assert info.fps == 25
    assert (info.codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (result.width, result.height, result.frame_count, result.fps) == (320, 180, 30, 25)
    assert result.path == job.output_path
    assert recorder.reports[-2] == (Phase.RENDERING, 30, 30)
    assert recorder.reports[-1][0] is Phase.ENCODING
    assert recorder.checks == 30


def test_watermark_adds_metadata_tag(tmp_path: Path) -> None:
    job = make_job(tmp_path, Mode.T2V, watermark=True, frame_count=5)
    PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
    assert probe(job.output_path).metadata.get("aigc") == "1"
    assert "AI generated" in probe(job.output_path).metadata.get("comment", "")


def test_no_watermark_no_tag(tmp_path: Path) -> None:
    job = make_job(tmp_path, Mode.T2V, frame_count=5)
    PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
    assert "aigc" not in probe(job.output_path).metadata


def test_cancel_raises_and_leaves_no_file(tmp_path: Path) -> None:
    job = make_job(tmp_path, Mode.T2V, frame_count=40)
    recorder = Recorder(cancel_after=10)
    with pytest.raises(TaskCancelled):
        PreviewEngine().generate(
            job, on_progress=recorder.progress, should_cancel=recorder.should_cancel
        )
    assert not job.output_path.exists()
    assert recorder.checks == 11


def test_missing_first_frame_fails_with_clear_message(tmp_path: Path) -> None:
    job = make_job(tmp_path, Mode.I2V, first=tmp_path / "absent.png")
    with pytest.raises(GenerationFailed, match="needs first_frame"):
        PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)


def test_odd_size_is_refused_with_the_values(tmp_path: Path) -> None:
    job = make_job(tmp_path, Mode.T2V, width=321, height=180)
    with pytest.raises(GenerationFailed, match="321 and 180"):
        PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)


def test_unreadable_image_fails_as_generation_failure(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    job = make_job(tmp_path, Mode.I2V, first=broken)
    with pytest.raises(GenerationFailed, match="could not render task 123"):
        PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)


def test_supports_every_mode() -> None:
    engine = PreviewEngine()
    assert engine.name == "preview"
    assert all(engine.supports(mode) for mode in Mode)
