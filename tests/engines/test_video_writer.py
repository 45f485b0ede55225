"""Mp4Writer: streamed H.264 with pooled frames keeps every frame's own content, in order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelserve.adapters.media.video import EncoderSettings, Mp4Writer, planes, probe

from .helpers import decode_gray


def test_pooled_frames_keep_their_content_and_order(tmp_path: Path) -> None:
    path = tmp_path / "ramp.mp4"
    levels = [20 + 7 * i for i in range(30)]
    with Mp4Writer(
        path, width=64, height=48, fps=25, settings=EncoderSettings(queue_size=1)
    ) as writer:
        for level in levels:  # more frames than the pool: buffers are reused many times
            frame = writer.acquire()
            y, u, v = planes(frame)
            y[...] = level
            u[...] = 128
            v[...] = 128
            writer.submit(frame)
    frames = decode_gray(path)
    full_range = [(level - 16) * 255 / 219 for level in levels]  # gray is expanded from 16-235
    assert [float(frames[i].mean()) for i in range(len(levels))] == pytest.approx(full_range, abs=2)


def test_write_takes_i420_arrays(tmp_path: Path) -> None:
    path = tmp_path / "a.mp4"
    with Mp4Writer(path, width=66, height=38, fps=25) as writer:  # rows padded in the frame
        for level in (40, 200):
            writer.write(np.full((57, 66), level, dtype=np.uint8))
    info = probe(path)
    assert (info.width, info.height, info.frame_count, info.fps) == (66, 38, 2, 25)
    assert float(decode_gray(path, {1})[1].mean()) > 150


def test_wrong_shape_is_refused_with_the_shapes(tmp_path: Path) -> None:
    with (
        pytest.raises(ValueError, match=r"\(57, 66\) but is \(38, 66\)"),
        Mp4Writer(tmp_path / "b.mp4", width=66, height=38, fps=25) as writer,
    ):
        writer.write(np.zeros((38, 66), dtype=np.uint8))
    assert not (tmp_path / "b.mp4").exists()  # an aborted clip leaves no file behind


def test_odd_sizes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="65 and 38"):
        Mp4Writer(tmp_path / "c.mp4", width=65, height=38, fps=25)
