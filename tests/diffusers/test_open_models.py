"""MiniMax-H3 and SkyReels-V2 on the diffusers engine, and the AAC soundtrack in the MP4.

Tiny random pipelines are built in code, saved with ``save_pretrained`` and loaded back through the
registry (``HF_HUB_OFFLINE=1``), exactly as real weights are. MiniMax-H3 generates 124 frames (its
5 s minimum, ``17n+5``) at 24 fps with a stereo soundtrack; the MP4 is probed with PyAV.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from reelserve.adapters.engines.diffusers import DiffusersEngine
from reelserve.adapters.engines.preview.engine import PreviewEngine
from reelserve.adapters.engines.registry import EngineRouter, RegistryError, load_router
from reelserve.adapters.media.video import AudioTrack, Mp4Writer, probe, probe_audio
from reelserve.domain.errors import GenerationFailed
from reelserve.domain.jobs import GenerationJob, RenderedVideo
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase
from reelserve.ports import Engine
from tests.diffusers.conftest import (
    cancel_after_first_step,
    make_job,
    out_of_memory_once,
    pipeline_table,
    write_registry,
)

pytestmark = [
    pytest.mark.diffusers,
    # Inside diffusers 0.42.1's MiniMax-H3 audio VAE, not ours.
    pytest.mark.filterwarnings("ignore:`torch.nn.utils.weight_norm` is deprecated:FutureWarning"),
]

Weights = Callable[[str], Path]
H3_MODELS = """
[models."MiniMax-Hailuo-02"]
pipeline = "h3"

[models."S2V-01"]
pipeline = "h3"
"""


def _h3_router(
    tmp_path: Path, weights: Path, body: str = H3_MODELS, **extra: object
) -> EngineRouter:
    table = pipeline_table("h3", "minimax-h3", weights, **extra)
    table = table.replace("native_fps = 16", "native_fps = 24").replace("steps = 2", "steps = 3")
    table = table.replace("max_sequence_length = 16\n", "")  # H3 encodes the prompt whole
    return load_router(write_registry(tmp_path, table + body), preview=PreviewEngine())


def _run(
    engine: Engine, job: GenerationJob, events: list[tuple[Phase, int, int]] | None = None
) -> RenderedVideo:
    sink = events if events is not None else []
    return engine.generate(job, on_progress=lambda *e: sink.append(e), should_cancel=lambda: False)


@pytest.mark.parametrize("mode", [Mode.T2V, Mode.I2V, Mode.FL2V, Mode.S2V])
def test_h3_renders_each_mode_with_a_stereo_soundtrack_as_long_as_the_video(
    tmp_path: Path, h3_weights: Path, images: tuple[Path, Path], mode: Mode
) -> None:
    model = "S2V-01" if mode is Mode.S2V else "MiniMax-Hailuo-02"
    engine = _h3_router(tmp_path, h3_weights).engine_for(model)
    assert isinstance(engine, DiffusersEngine) and engine.supports(mode)
    events: list[tuple[Phase, int, int]] = []
    video = _run(engine, make_job(tmp_path, model=model, mode=mode, images=images), events)
    info, sound = probe(video.path), probe_audio(video.path)
    assert (info.width, info.height, info.frame_count, info.fps) == (64, 36, 124, 24)
    assert (video.frame_count, video.fps, video.has_audio) == (124, 24, True)
    assert sound is not None and (sound.codec, sound.channels) == ("aac", 2)
    assert sound.decoded_frames > 0
    assert sound.seconds == pytest.approx(124 / 24, abs=1 / 24)
    assert (Phase.RENDERING, 2, 2) in events  # steps = 3 is two evaluations on H3's scheduler


def test_h3_without_audio_writes_a_silent_video(tmp_path: Path, h3_weights: Path) -> None:
    engine = _h3_router(tmp_path, h3_weights).engine_for("MiniMax-Hailuo-02")
    video = _run(engine, make_job(tmp_path, audio=False))
    assert probe_audio(video.path) is None and not video.has_audio
    assert probe(video.path).frame_count == 124


def test_h3_cancel_stops_between_steps_and_writes_nothing(tmp_path: Path, h3_weights: Path) -> None:
    engine = _h3_router(tmp_path, h3_weights).engine_for("MiniMax-Hailuo-02")
    job = make_job(tmp_path)
    steps = cancel_after_first_step(engine, job)
    assert steps == [0, 1] and not job.output_path.exists()
    scheduler = engine.runtime.pipeline(engine.pipelines[Mode.T2V], Mode.T2V).scheduler
    assert "step" not in vars(scheduler)  # the step watcher is gone


def test_h3_out_of_memory_fails_the_task_and_the_engine_keeps_serving(
    tmp_path: Path, h3_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from diffusers import MiniMaxH3Transformer3DModel

    engine = _h3_router(tmp_path, h3_weights).engine_for("MiniMax-Hailuo-02")
    out_of_memory_once(monkeypatch, MiniMaxH3Transformer3DModel)
    with pytest.raises(GenerationFailed, match="out of memory: h3 could not generate 124 frames"):
        _run(engine, make_job(tmp_path))
    assert _run(engine, make_job(tmp_path, name="after.mp4")).has_audio


@pytest.mark.parametrize(("seconds", "frames"), [(4, 124), (6, 158), (10, 243), (15, 345)])
def test_h3_frames_are_17n_plus_5_between_5_and_15_seconds(
    tmp_path: Path, h3_weights: Path, seconds: int, frames: int
) -> None:
    engine = _h3_router(tmp_path, h3_weights).engine_for("MiniMax-Hailuo-02")
    assert isinstance(engine, DiffusersEngine)
    assert engine.plan(make_job(tmp_path, duration_s=seconds)).num_frames == frames


def test_h3_checkpoint_without_the_reference_partition_refuses_s2v(
    tmp_path: Path, h3_weights: Path
) -> None:
    partial = tmp_path / "h3-partial"
    shutil.copytree(h3_weights, partial)
    shutil.rmtree(partial / "transformer_ref")
    index_path = partial / "modular_model_index.json"
    index = json.loads(index_path.read_text())
    index["transformer_ref"] = [None, None, {}]
    index_path.write_text(json.dumps(index))
    with pytest.raises(RegistryError, match="no transformer_ref/ partition"):
        _h3_router(tmp_path, partial, '[models."S2V-01"]\ns2v = "h3"\n')
    (partial / "audio_vae" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(RegistryError, match="incomplete: audio_vae/ has no weights file"):
        _h3_router(tmp_path, partial)


# --- SkyReels-V2 -------------------------------------------------------------------------


def _skyreels_router(tmp_path: Path, weights_root: Weights, body: str) -> EngineRouter:
    tables = pipeline_table("sky-i2v", "skyreels-v2", weights_root("skyreels-i2v"))
    tables += pipeline_table("sky-flf2v", "skyreels-v2", weights_root("skyreels-flf2v"))
    return load_router(write_registry(tmp_path, tables + body), preview=PreviewEngine())


@pytest.mark.parametrize("mode", [Mode.I2V, Mode.FL2V])
def test_skyreels_renders_first_frame_and_first_last_as_silent_video(
    tmp_path: Path, weights_root: Weights, images: tuple[Path, Path], mode: Mode
) -> None:
    body = '[models."MiniMax-Hailuo-02"]\ni2v = "sky-i2v"\nfl2v = "sky-flf2v"\n'
    engine = _skyreels_router(tmp_path, weights_root, body).engine_for("MiniMax-Hailuo-02")
    events: list[tuple[Phase, int, int]] = []
    video = _run(engine, make_job(tmp_path, mode=mode, images=images), events)
    assert (probe(video.path).frame_count, video.frame_count, video.fps) == (9, 9, 16)
    assert probe_audio(video.path) is None and not video.has_audio
    assert (Phase.RENDERING, 2, 2) in events


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[models."MiniMax-Hailuo-02"]\nt2v = "sky-i2v"\n', "cannot serve t2v"),
        ('[models."MiniMax-Hailuo-02"]\nfl2v = "sky-i2v"\n', "trained on a first frame only"),
        ('[models."MiniMax-Hailuo-02"]\ni2v = "sky-flf2v"\n', "needs a first and a last frame"),
    ],
)
def test_skyreels_modes_are_checked_at_start_up(
    tmp_path: Path, weights_root: Weights, body: str, message: str
) -> None:
    with pytest.raises(RegistryError, match=message):
        _skyreels_router(tmp_path, weights_root, body)


# --- the soundtrack in the MP4 ----------------------------------------------------------------


@pytest.mark.parametrize(("rate", "seconds"), [(32000, 6.0), (24000, 3.0), (160, 5.5)])
def test_mp4_soundtrack_is_cut_or_padded_to_the_video_length(
    tmp_path: Path, rate: int, seconds: float
) -> None:
    """H3's 32 kHz, LTX-2's 24 kHz, and a rate AAC lacks (resampled to 48 kHz); longer and
    shorter than the 5 s video."""
    t = np.arange(round(seconds * rate)) / rate
    tone = np.stack([np.sin(2 * np.pi * 40 * t), np.sin(2 * np.pi * 30 * t)]).astype(np.float32)
    path = tmp_path / "clip.mp4"
    with Mp4Writer(
        path, width=32, height=32, fps=24, audio=AudioTrack(samples=tone, sample_rate=rate)
    ) as writer:
        for i in range(120):
            writer.write(np.full((48, 32), i, dtype=np.uint8))
    sound = probe_audio(path)
    assert probe(path).frame_count == 120
    assert sound is not None and sound.channels == 2 and sound.decoded_frames > 0
    assert sound.seconds == pytest.approx(5.0, abs=1 / 24)


# --- LTX-2 ------------------------------------------------------------------------------------


def _ltx2_engine(tmp_path: Path, weights_root: Weights) -> Engine:
    body = pipeline_table("ltx2", "ltx2", weights_root("ltx2"))
    body += '[models."MiniMax-Hailuo-02"]\npipeline = "ltx2"\n'
    router = load_router(write_registry(tmp_path, body), preview=PreviewEngine())
    return router.engine_for("MiniMax-Hailuo-02")


@pytest.mark.parametrize("mode", [Mode.T2V, Mode.I2V, Mode.FL2V])
def test_ltx2_renders_each_mode_with_its_soundtrack(
    tmp_path: Path, weights_root: Weights, images: tuple[Path, Path], mode: Mode
) -> None:
    engine = _ltx2_engine(tmp_path, weights_root)
    events: list[tuple[Phase, int, int]] = []
    video = _run(engine, make_job(tmp_path, mode=mode, images=images), events)
    sound = probe_audio(video.path)
    assert (probe(video.path).frame_count, video.frame_count, video.fps) == (9, 9, 16)
    assert video.has_audio and sound is not None and sound.channels == 2
    assert sound.seconds == pytest.approx(9 / 16, abs=1 / 16)
    assert (Phase.RENDERING, 2, 2) in events


# --- HunyuanVideo 1.5 --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "weights"), [(Mode.T2V, "hunyuan15-t2v"), (Mode.I2V, "hunyuan15-i2v")]
)
def test_hunyuan15_renders_text_and_first_frame_with_progress_from_the_scheduler(
    tmp_path: Path, weights_root: Weights, images: tuple[Path, Path], mode: Mode, weights: str
) -> None:
    """Its pipelines have no callback_on_step_end: progress comes from the scheduler's steps."""
    body = pipeline_table("hy", "hunyuanvideo15", weights_root(weights))
    body += f'[models."MiniMax-Hailuo-02"]\n{mode.value} = "hy"\n'
    engine = load_router(write_registry(tmp_path, body), preview=PreviewEngine()).engine_for(
        "MiniMax-Hailuo-02"
    )
    events: list[tuple[Phase, int, int]] = []
    video = _run(engine, make_job(tmp_path, mode=mode, images=images), events)
    assert (probe(video.path).frame_count, video.frame_count, video.fps) == (9, 9, 16)
    assert (probe(video.path).width, probe(video.path).height) == (64, 36)
    assert probe_audio(video.path) is None and not video.has_audio
    assert [e for e in events if e[0] is Phase.RENDERING] == [
        (Phase.RENDERING, 0, 2),
        (Phase.RENDERING, 1, 2),
        (Phase.RENDERING, 2, 2),
    ]


@pytest.mark.parametrize(
    ("weights", "key", "message"),
    [
        ("hunyuan15-t2v", "i2v", "no image encoder"),
        ("hunyuan15-i2v", "t2v", "needs a first frame"),
        ("hunyuan15-i2v", "fl2v", "takes no last frame"),
    ],
)
def test_hunyuan15_modes_are_checked_at_start_up(
    tmp_path: Path, weights_root: Weights, weights: str, key: str, message: str
) -> None:
    body = pipeline_table("hy", "hunyuanvideo15", weights_root(weights))
    body += f'[models."MiniMax-Hailuo-02"]\n{key} = "hy"\n'
    with pytest.raises(RegistryError, match=message):
        load_router(write_registry(tmp_path, body), preview=PreviewEngine())


# --- Helios ------------------------------------------------------------------------------------


# diffusers 0.42.1's HeliosScheduler hands a torch tensor to numpy: numpy 2's warning, not ours.
@pytest.mark.filterwarnings("ignore:__array_wrap__ must accept context:DeprecationWarning")
@pytest.mark.parametrize(
    ("mode", "seconds", "frames", "total"),
    [(Mode.T2V, 2.5, 65, 4), (Mode.I2V, 0.5, 33, 2)],  # 40 frames → 2 chunks; 8 → 1 chunk
)
def test_helios_renders_whole_chunks_with_progress_over_all_chunks(
    tmp_path: Path,
    weights_root: Weights,
    images: tuple[Path, Path],
    mode: Mode,
    seconds: float,
    frames: int,
    total: int,
) -> None:
    """Chunks of 9 latent frames: 32k+1 frames; 2 steps per chunk, counted across chunks."""
    body = pipeline_table("helios", "helios", weights_root("helios"))
    body += '[models."MiniMax-Hailuo-02"]\npipeline = "helios"\n'
    engine = load_router(write_registry(tmp_path, body), preview=PreviewEngine()).engine_for(
        "MiniMax-Hailuo-02"
    )
    events: list[tuple[Phase, int, int]] = []
    video = _run(engine, make_job(tmp_path, mode=mode, images=images, duration_s=seconds), events)
    assert (probe(video.path).frame_count, video.frame_count, video.fps) == (frames, frames, 16)
    rendering = [step for phase, step, _ in events if phase is Phase.RENDERING]
    assert rendering == list(range(total + 1)) and (Phase.RENDERING, total, total) in events
    assert probe_audio(video.path) is None
