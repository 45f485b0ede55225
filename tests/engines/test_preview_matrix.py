"""Exact width, height, frame count and fps for every model x mode x duration x resolution.

The fast tests cover every distinct geometry the catalog can produce (each size with a few
frames, each frame count at a small size); the full matrix at full size and full length (every distinct geometry, each model sharing one
is rendered once) is marked ``slow``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.media.video import probe
from reelserve.domain import catalog, geometry
from reelserve.domain.requests import Mode

from .helpers import Recorder, make_job, save_png, textured

ASPECTS = ((1280, 720), (720, 1280), (1000, 1000), (1500, 600))  # first frames (width, height)


def _cases(*, shortest_for_dialects: bool = False) -> dict[tuple[Mode, int, int, int], list[str]]:
    """Each distinct (mode, width, height, frames) the catalog allows, with who asks for it.

    ``shortest_for_dialects``: the dialect models (sora-2*, MiniMax-H3: 4–15 s at up to 2K) at
    their shortest duration only, so the full-size run stays CI-sized; their longer frame counts
    are covered by ``test_every_frame_count``.
    """
    cases: dict[tuple[Mode, int, int, int], list[str]] = {}
    for spec in catalog.MODELS.values():
        for mode, matrix in spec.modes.items():
            for resolution, all_durations in matrix.items():
                durations = all_durations
                if shortest_for_dialects and (spec.dialects is not None or spec.sizes):
                    durations = (min(all_durations),)
                firsts = [None] if mode in (Mode.T2V, Mode.S2V) else ASPECTS
                for first in firsts:
                    width, height = geometry.output_size(mode, resolution, first)
                    for duration in durations:
                        key = (mode, width, height, duration * spec.fps)
                        cases.setdefault(key, []).append(f"{spec.name} {resolution} {duration}s")
    return cases


CASES = _cases()
SIZES = sorted({(mode, width, height) for mode, width, height, _ in CASES})
COUNTS = sorted({(mode, frames) for mode, _, _, frames in CASES})
FULL = sorted(_cases(shortest_for_dialects=True))


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("matrix")
    return (
        save_png(textured(400, 300, seed=1), folder / "a.png"),
        save_png(textured(400, 300, seed=2), folder / "b.png"),
    )


def _check(
    tmp_path: Path, pictures: tuple[Path, Path], mode: Mode, width: int, height: int, frames: int
) -> None:
    job = make_job(
        tmp_path,
        mode,
        prompt="A red fox in the snow [Pan left, Zoom in]",
        width=width,
        height=height,
        frame_count=frames,
        first=None if mode is Mode.T2V else pictures[0],
        last=pictures[1] if mode is Mode.FL2V else None,
    )
    PreviewEngine().generate(job, on_progress=Recorder().progress, should_cancel=lambda: False)
    info = probe(job.output_path)
    assert (info.width, info.height, info.frame_count, info.fps) == (width, height, frames, 25)


def test_catalog_has_geometries() -> None:
    assert len(CASES) > 20 and (Mode.T2V, 1920, 1080) in SIZES
    assert any("MiniMax-Hailuo-02 1080P 6s" in who for who in CASES.values())


@pytest.mark.parametrize(("mode", "width", "height"), SIZES)
def test_every_size(
    tmp_path: Path, pictures: tuple[Path, Path], mode: Mode, width: int, height: int
) -> None:
    _check(tmp_path, pictures, mode, width, height, 3)


@pytest.mark.parametrize(("mode", "frames"), COUNTS)
def test_every_frame_count(
    tmp_path: Path, pictures: tuple[Path, Path], mode: Mode, frames: int
) -> None:
    _check(tmp_path, pictures, mode, 64, 36, frames)


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "width", "height", "frames"), FULL)
def test_full_matrix(
    tmp_path: Path,
    pictures: tuple[Path, Path],
    mode: Mode,
    width: int,
    height: int,
    frames: int,
) -> None:
    _check(tmp_path, pictures, mode, width, height, frames)
