"""The diffusers engine end to end on tiny random Wan and LTX pipelines, on the CPU, offline.

Each pipeline is saved with ``save_pretrained`` and loaded back from its directory through the
registry, exactly as real weights are; the MP4s are decoded with PyAV to check what is in them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from reelserve.adapters.engines.diffusers import DiffusersEngine
from reelserve.adapters.engines.diffusers.fallback import ModeFallbackEngine
from reelserve.adapters.engines.preview.engine import PreviewEngine
from reelserve.adapters.engines.registry import EngineRouter, RegistryError, load_router
from reelserve.adapters.media.video import probe
from reelserve.domain.errors import GenerationFailed
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase
from tests.diffusers.conftest import (
    cancel_after_first_step,
    make_job,
    out_of_memory_once,
    pipeline_table,
    write_registry,
)

pytestmark = pytest.mark.diffusers
# diffusers 0.42's LTXConditionPipeline hands a torch tensor to np.array(copy=False): a numpy 2
# DeprecationWarning inside the library, not ours.
LTX_WARNING = "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"

Weights = Callable[[str], Path]


def _router(tmp_path: Path, weights_root: Weights, body: str) -> EngineRouter:
    tables = (
        pipeline_table("wan-t2v", "wan", weights_root("wan-t2v"))
        + pipeline_table("wan-i2v", "wan", weights_root("wan-i2v"))
        + pipeline_table("wan-flf2v", "wan", weights_root("wan-flf2v"))
        + pipeline_table("ltx", "ltx", weights_root("ltx"))
    )
    return load_router(write_registry(tmp_path, tables + body), preview=PreviewEngine())


HAILUO_WAN = """
[runtime]
max_loaded = 2

[models."MiniMax-Hailuo-02"]
engine = "diffusers"
t2v = "wan-t2v"
i2v = "wan-i2v"
fl2v = "wan-flf2v"
"""

HAILUO_LTX = """
[models."MiniMax-Hailuo-02"]
engine = "diffusers"
pipeline = "ltx"
"""


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.mark.parametrize("mode", [Mode.T2V, Mode.I2V, Mode.FL2V])
def test_wan_renders_each_mode_to_an_mp4_of_the_promised_size(
    tmp_path: Path, weights_root: Weights, images: tuple[Path, Path], mode: Mode
) -> None:
    engine = _router(tmp_path, weights_root, HAILUO_WAN).engine_for("MiniMax-Hailuo-02")
    assert isinstance(engine, DiffusersEngine)
    events: list[tuple[Phase, int, int]] = []
    job = make_job(tmp_path, mode=mode, images=images)  # 0.5 s at 16 fps → 9 frames (4k+1)
    video = engine.generate(
        job, on_progress=lambda *e: events.append(e), should_cancel=lambda: False
    )
    info = probe(video.path)
    assert (info.width, info.height, info.frame_count) == (64, 36, 9)
    assert (video.width, video.height, video.fps, video.frame_count) == (64, 36, 16, 9)
    assert info.codec == "h264" and info.pix_fmt == "yuv420p" and info.fps == 16
    assert (Phase.RENDERING, 2, 2) in events and events[-1] == (Phase.ENCODING, 9, 9)


@pytest.mark.filterwarnings(LTX_WARNING)
@pytest.mark.parametrize("mode", [Mode.T2V, Mode.I2V, Mode.FL2V])
def test_ltx_renders_each_mode_with_conditions_at_the_first_and_last_frame(
    tmp_path: Path, weights_root: Weights, images: tuple[Path, Path], mode: Mode
) -> None:
    engine = _router(tmp_path, weights_root, HAILUO_LTX).engine_for("MiniMax-Hailuo-02")
    job = make_job(tmp_path, mode=mode, images=images, duration_s=1.0)  # 16 → 17 frames (8k+1)
    video = engine.generate(job, on_progress=lambda *e: None, should_cancel=lambda: False)
    info = probe(video.path)
    assert (
        (info.width, info.height, info.frame_count)
        == (64, 36, 17)
        == (
            video.width,
            video.height,
            video.frame_count,
        )
    )


def test_native_output_size_keeps_the_generated_size(tmp_path: Path, weights_root: Weights) -> None:
    body = HAILUO_WAN.replace('fl2v = "wan-flf2v"', 'fl2v = "wan-flf2v"\noutput_size = "native"')
    engine = _router(tmp_path, weights_root, body).engine_for("MiniMax-Hailuo-02")
    video = engine.generate(
        make_job(tmp_path), on_progress=lambda *e: None, should_cancel=lambda: False
    )
    assert (
        (probe(video.path).width, probe(video.path).height)
        == (48, 32)
        == (
            video.width,
            video.height,
        )
    )


def test_same_seed_same_video_other_seed_other_video(tmp_path: Path, weights_root: Weights) -> None:
    engine = _router(tmp_path, weights_root, HAILUO_WAN).engine_for("MiniMax-Hailuo-02")
    runs = [
        engine.generate(
            make_job(tmp_path, seed=seed, name=f"{i}.mp4"),
            on_progress=lambda *e: None,
            should_cancel=lambda: False,
        )
        for i, seed in enumerate((5, 5, 6))
    ]
    first, again, other = (np.stack(_frames(r.path)) for r in runs)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_cancel_stops_at_the_next_step_and_writes_nothing(
    tmp_path: Path, weights_root: Weights
) -> None:
    engine = _router(tmp_path, weights_root, HAILUO_WAN).engine_for("MiniMax-Hailuo-02")
    job = make_job(tmp_path)
    steps = cancel_after_first_step(engine, job)
    assert steps == [0, 1]  # stopped after the first step of two: no second step, no VAE
    assert not job.output_path.exists()


def test_out_of_memory_fails_the_task_and_the_engine_keeps_serving(
    tmp_path: Path, weights_root: Weights, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diffusers import WanTransformer3DModel

    engine = _router(tmp_path, weights_root, HAILUO_WAN).engine_for("MiniMax-Hailuo-02")
    out_of_memory_once(monkeypatch, WanTransformer3DModel)
    with pytest.raises(GenerationFailed, match="out of memory: wan-t2v could not generate 9 "):
        engine.generate(
            make_job(tmp_path), on_progress=lambda *e: None, should_cancel=lambda: False
        )
    video = engine.generate(
        make_job(tmp_path, name="after.mp4"),
        on_progress=lambda *e: None,
        should_cancel=lambda: False,
    )
    assert probe(video.path).frame_count == 9


def test_one_checkpoint_serves_text_and_first_frame_but_refuses_last_frame(
    tmp_path: Path, weights_root: Weights, images: tuple[Path, Path]
) -> None:
    """Wan2.2-TI2V-5B layout: T2V and I2V share the loaded components; FL2V is refused."""
    tables = pipeline_table("ti2v", "wan", weights_root("wan-5b"))
    ok = write_registry(tmp_path, tables + '[models."MiniMax-Hailuo-02"]\npipeline = "ti2v"\n')
    router = load_router(ok, preview=PreviewEngine())
    engine = router.engine_for("MiniMax-Hailuo-02")
    assert isinstance(engine, ModeFallbackEngine)  # fl2v goes to the preview engine
    assert engine.primary.supports(Mode.I2V) and not engine.primary.supports(Mode.FL2V)
    for mode in (Mode.T2V, Mode.I2V):
        job = make_job(tmp_path, mode=mode, images=images, name=f"{mode}.mp4")
        video = engine.generate(job, on_progress=lambda *e: None, should_cancel=lambda: False)
        assert probe(video.path).frame_count == 9
    assert engine.primary.runtime.loaded() == ["ti2v"]
    strict = write_registry(tmp_path, tables + '[models."MiniMax-Hailuo-02"]\nfl2v = "ti2v"\n')
    with pytest.raises(RegistryError, match="ignore last_image"):
        load_router(strict, preview=PreviewEngine())


def test_wan21_i2v_checkpoint_is_refused_for_first_and_last_frame(
    tmp_path: Path, weights_root: Weights
) -> None:
    body = pipeline_table("i2v", "wan", weights_root("wan-i2v"))
    body += '[models."MiniMax-Hailuo-02"]\ni2v = "i2v"\nfl2v = "i2v"\n'
    with pytest.raises(RegistryError, match=re.escape("use Wan2.1-FLF2V-14B-720P")) as caught:
        load_router(write_registry(tmp_path, body), preview=PreviewEngine())
    assert str(weights_root("wan-i2v")) in str(caught.value)


def test_preload_loads_at_start_up_and_models_stay_loaded(
    tmp_path: Path, weights_root: Weights
) -> None:
    body = (
        pipeline_table("wan-t2v", "wan", weights_root("wan-t2v"), preload=True)
        + '[models."T2V-01"]\nt2v = "wan-t2v"\n'
        + '[models."MiniMax-Hailuo-02"]\nt2v = "wan-t2v"\nfallback = "fail"\n'
    )
    router = load_router(write_registry(tmp_path, body), preview=PreviewEngine())
    engine = router.engine_for("T2V-01")
    assert isinstance(engine, DiffusersEngine)
    assert engine.runtime.loaded() == []  # reading the registry loads nothing (the API reads it)
    router.warm()  # what a worker does at start
    assert engine.runtime.loaded() == ["wan-t2v"]
    hailuo = router.engine_for("MiniMax-Hailuo-02")
    assert isinstance(hailuo, DiffusersEngine) and hailuo.runtime is engine.runtime
    assert not hailuo.supports(Mode.I2V)
    with pytest.raises(GenerationFailed, match="no diffusers pipeline for mode i2v"):
        hailuo.generate(
            make_job(tmp_path, mode=Mode.I2V),
            on_progress=lambda *e: None,
            should_cancel=lambda: False,
        )
    assert len(router.engines()) == 3  # preview + the two models


def test_flf2v_checkpoint_is_refused_for_a_first_frame_alone(
    tmp_path: Path, weights_root: Weights
) -> None:
    body = pipeline_table("flf2v", "wan", weights_root("wan-flf2v"))
    body += '[models."MiniMax-Hailuo-02"]\ni2v = "flf2v"\n'
    with pytest.raises(RegistryError, match="needs a first and a last frame"):
        load_router(write_registry(tmp_path, body), preview=PreviewEngine())
