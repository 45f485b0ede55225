"""SegmentedMp4Writer: segments encoded side by side join into one clip, frames in order."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from reelserve.adapters.engines.preview.frames import Sampler, new_frame, to_planes, warp_into
from reelserve.adapters.engines.preview.storyboard import render_scene
from reelserve.adapters.media.segments import (
    MIN_SEGMENT_FRAMES,
    Segment,
    SegmentedMp4Writer,
    plan_segments,
)
from reelserve.adapters.media.video import planes, probe

from .helpers import decode_gray


def level(index: int) -> int:
    return 20 + (index * 7) % 200


def fill(segment: Segment) -> None:
    for index in segment.frames:
        frame = segment.acquire()
        y, u, v = planes(frame)
        y[...] = level(index)
        u[...] = 128
        v[...] = 128
        segment.submit(frame)


@pytest.mark.parametrize(
    ("frames", "cpus", "requested", "expected"),
    [
        (150, 2, 0, [range(0, 75), range(75, 150)]),
        (150, 16, 0, [range(0, 50), range(50, 100), range(100, 150)]),
        (MIN_SEGMENT_FRAMES * 2 - 1, 8, 0, [range(0, MIN_SEGMENT_FRAMES * 2 - 1)]),
        (10, 4, 3, [range(0, 3), range(3, 6), range(6, 10)]),
        (2, 1, 5, [range(0, 1), range(1, 2)]),
    ],
)
def test_segments_are_consecutive_and_long_enough(
    frames: int, cpus: int, requested: int, expected: list[range]
) -> None:
    assert plan_segments(frames, cpus=cpus, requested=requested) == expected


def test_plan_refuses_an_empty_clip() -> None:
    with pytest.raises(ValueError, match="frame_count must be positive but is 0"):
        plan_segments(0, cpus=2)


@pytest.mark.parametrize("segments", [1, 2, 3])
def test_parallel_segments_join_into_one_clip_in_order(tmp_path: Path, segments: int) -> None:
    path = tmp_path / "joined.mp4"
    count = 61
    with SegmentedMp4Writer(
        path,
        width=64,
        height=48,
        fps=25,
        frame_count=count,
        segments=segments,
        metadata={"aigc": "1"},
    ) as writer:
        assert len(writer.segments) == segments
        threads = [threading.Thread(target=fill, args=(s,)) for s in writer.segments]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    info = probe(path)
    assert (info.width, info.height, info.frame_count, info.fps) == (64, 48, count, 25)
    assert info.metadata.get("aigc") == "1"
    frames = decode_gray(path)
    expected = [(level(i) - 16) * 255 / 219 for i in range(count)]  # limited range expanded
    assert [float(frames[i].mean()) for i in range(count)] == pytest.approx(expected, abs=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["joined.mp4"]  # no parts left


def test_a_short_segment_fails_and_leaves_no_files(tmp_path: Path) -> None:
    path = tmp_path / "short.mp4"
    with (
        pytest.raises(RuntimeError, match=r"got 0 of its 5 frames"),
        SegmentedMp4Writer(path, width=32, height=32, fps=25, frame_count=10, segments=2) as writer,
    ):
        fill(writer.segments[0])
    assert list(tmp_path.iterdir()) == []


def test_an_error_while_rendering_aborts_and_deletes_everything(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    with (
        pytest.raises(KeyError),
        SegmentedMp4Writer(path, width=32, height=32, fps=25, frame_count=10, segments=2),
    ):
        raise KeyError("renderer failed")
    assert list(tmp_path.iterdir()) == []


def test_a_segment_takes_no_more_than_its_frames(tmp_path: Path) -> None:
    with SegmentedMp4Writer(
        tmp_path / "x.mp4", width=32, height=32, fps=25, frame_count=2, segments=2
    ) as writer:
        fill(writer.segments[0])
        with pytest.raises(ValueError, match="already has all its 1 frames"):
            writer.segments[0].submit(writer.segments[0].acquire())
        fill(writer.segments[1])


@pytest.mark.parametrize(
    "matrix",
    [
        [[1 / 1.2, 0, 3.3], [0, 1 / 1.2, 1.7], [0, 0, 1]],  # push in, off centre
        [[1 / 1.37, 0, -20.6], [0, 1 / 1.37, 11.2], [0, 0, 1]],
        [[0.9, 0, 40.25], [0, 0.9, -8.5], [0, 0, 1]],
        [[1.0, 0, 0.0], [0, 1.0, 0.0], [0, 0, 1]],
    ],
)
def test_the_resize_path_draws_what_the_general_warp_draws(matrix: list[list[float]]) -> None:
    source = to_planes(render_scene("harbour at dusk", 3, 640, 360))
    fast, exact = new_frame(320, 180)[1], new_frame(320, 180)[1]
    view = np.array(matrix, dtype=np.float64)
    Sampler(source, density=2.0).render(view, fast)
    warp_into(source, view, exact)
    for a, b in ((fast.y, exact.y), (fast.u, exact.u), (fast.v, exact.v)):
        difference = np.abs(a.astype(np.int16) - b)
        assert difference.mean() < 0.25, difference.mean()  # the same picture, to the grey level
        assert np.percentile(difference, 99) <= 4  # edges, from the 1/8-pixel phase step


def test_views_that_leave_the_still_fall_back_to_the_general_warp() -> None:
    source = to_planes(render_scene("harbour at dusk", 3, 320, 180))
    fast, exact = new_frame(320, 180)[1], new_frame(320, 180)[1]
    view = np.array([[1.0, 0, -30.0], [0, 1.0, -12.0], [0, 0, 1]])  # shows past the left edge
    Sampler(source).render(view, fast)
    warp_into(source, view, exact)
    assert np.array_equal(fast.y, exact.y)


PEAK_RSS_CHILD = """
import resource, sys, tempfile
from pathlib import Path
from reelserve.adapters.engines.preview import PreviewEngine
from tests.engines.helpers import Recorder, make_job
from reelserve.domain.requests import Mode
folder = Path(tempfile.mkdtemp())
frames = int(sys.argv[1])
job = make_job(folder, Mode.T2V, prompt="[Push in]", width=1280, height=720, frame_count=frames)
PreviewEngine(segments=2).generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))  # peak RSS of this program (ru_maxrss would carry the parent's peak over exec)
"""


@pytest.mark.slow
def test_memory_stays_flat_in_the_clip_length(tmp_path: Path) -> None:
    def peak_kib(frames: int) -> int:
        out = subprocess.run(
            [sys.executable, "-c", PEAK_RSS_CHILD, str(frames)],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        return int(out.stdout.split()[-1])

    short, long = peak_kib(50), peak_kib(500)  # 720P, 2 s and 20 s, two segments each
    assert long - short < 16 * 1024, (short, long)  # ten times the frames, not the memory


DEEP_PUSH_CHILD = """
import resource, sys, tempfile
from pathlib import Path
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))  # the old resize path wanted 18 GB
from reelserve.adapters.engines.preview import PreviewEngine
from tests.engines.helpers import Recorder, make_job
from reelserve.domain.requests import Mode
folder = Path(tempfile.mkdtemp())
job = make_job(folder, Mode.T2V, prompt="[Push in]" * 45, width=320, height=180, frame_count=50)
PreviewEngine(segments=1).generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))  # peak RSS of this program (ru_maxrss would carry the parent's peak over exec)
"""


def test_a_deep_push_in_renders_within_a_few_frames_of_memory() -> None:
    """45 ``[Push in]`` (134,000x magnification; refused at create, but the renderer must hold
    without that rule) render under a 2 GiB address-space cap and a modest peak RSS."""
    out = subprocess.run(
        [sys.executable, "-c", DEEP_PUSH_CHILD, str(2 * 1024**3)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[2],
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) < 1024 * 1024  # KiB
