"""What each pipeline family is: its diffusers classes per mode, its defaults and their sources.

Pure Python (no torch). The registry reads the defaults from here when a ``[pipelines.NAME]``
table leaves a key out; the runtime reads the class names; ``weights`` and ``calls`` hold the
per-family rules for checkpoints and call arguments. docs/diffusers.md lists the same table.

Sources of the defaults (diffusers 0.42.1, read from the installed package):

- Wan: ``WanPipeline`` docstring and the Wan2.1 repository (832×480, 16 fps, 50 steps, 5.0).
- LTX-Video: ``LTXConditionPipeline`` docstring (768×512, 24 fps, guidance 3.0).
- MiniMax-H3: ``modular_pipelines/minimax_h3/modular_pipeline.py`` — 24 fps fixed
  (``MINIMAX_H3_FPS``), canvas short edge 768 with at most 768×1344 pixels
  (``resolve_canvas_size``), 5–15 s, ``17n+5`` frames; the ``MiniMaxH3ModularPipeline``
  docstring: guidance-distilled ("no guider, no ``negative_prompt`` and no ``guidance_scale``"),
  schedulers shift 12.0 (video) and 3.0 (audio) as shipped; 50 steps is the blocks'
  ``num_inference_steps`` default.
- LTX-2: ``LTX2Pipeline`` example — 768×512, 121 frames at ``frame_rate=24.0``, 30 steps,
  ``guidance_scale=3.0``, negative prompt "worst quality, inconsistent motion, blurry, jittery,
  distorted"; the soundtrack at ``vocoder.config.output_sampling_rate`` ("should be 24000").
- HunyuanVideo 1.5: ``HunyuanVideo15Pipeline`` example (``hunyuanvideo-community/HunyuanVideo-1.5-
  480p_t2v``, 50 steps, ``num_frames=121`` default); 848×480 for the 480p checkpoints; 24 fps as
  research/models_perf.md records for HunyuanVideo (the docstring's example exports at 15).
  Guidance comes from the checkpoint's ``guider/`` (``ClassifierFreeGuidance``); no negative prompt.
- Helios: ``HeliosPipeline`` example (``BestWishYsh/Helios-Base``) — 640×384, 132 frames exported
  at 24 fps, 50 steps (``num_inference_steps`` default), ``guidance_scale=5.0``, its negative
  prompt (below); frames come in chunks of 9 latent frames (``num_latent_frames_per_chunk``),
  ``32k+1`` frames in all (the example's 132 become 129).
- SkyReels-V2 I2V: ``SkyReelsV2ImageToVideoPipeline`` example — 960×544, 97 frames exported at
  24 fps, 50 steps, ``guidance_scale=5.0`` ("6.0 for T2V, 5.0 for I2V"), ``flow_shift = 5.0``
  ("8.0 for T2V, 5.0 for I2V").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reelserve.adapters.engines.diffusers.spec import Family
from reelserve.domain.requests import Mode

# ``HeliosPipeline``'s example negative prompt (diffusers 0.42.1 docstring), verbatim.
HELIOS_NEGATIVE_PROMPT = (
    "Bright tones, overexposed, static, blurred details, subtitles, style, works, paintings, "
    "images, static, overall gray, worst quality, low quality, JPEG compression residue, ugly, "
    "incomplete, extra fingers, poorly drawn hands, poorly drawn faces, deformed, disfigured, "
    "misshapen limbs, fused fingers, still picture, messy background, three legs, many people in "
    "the background, walking backwards"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Defaults:
    width: int
    height: int
    fps: int
    steps: int
    guidance: float
    flow_shift: float | None = None  # None: the checkpoint's scheduler as shipped
    negative_prompt: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FamilyInfo:
    family: Family
    defaults: Defaults
    classes: Mapping[Mode, str]  # the diffusers class that runs each mode
    modular: bool = False  # a ModularPipeline (loaded per workflow), not a DiffusionPipeline
    sound: bool = False  # generates a soundtrack with the frames
    step_callback: bool = True  # has ``callback_on_step_end``; else the scheduler's step is watched
    workflows: Mapping[Mode, str] = field(default_factory=dict)  # modular: workflow per mode
    # MiniMaxH3Scheduler.set_timesteps: ``num_inference_steps`` counts the terminal sigma, so the
    # loop runs ``steps - 1`` model evaluations.
    terminal_step: bool = False
    chunked: bool = False  # Helios: ``steps`` denoising steps per chunk of ``frame_step`` frames

    def evaluations(self, steps: int, frames: int, frame_step: int) -> int:
        """Denoising iterations (progress total) for ``steps`` and ``frames``."""
        if self.terminal_step:
            return max(1, steps - 1)
        return steps * max(1, (frames - 1) // frame_step) if self.chunked else steps


_WAN_CLASSES = {
    Mode.T2V: "WanPipeline",
    Mode.I2V: "WanImageToVideoPipeline",
    Mode.FL2V: "WanImageToVideoPipeline",
}
_LTX_CLASSES = dict.fromkeys((Mode.T2V, Mode.I2V, Mode.FL2V), "LTXConditionPipeline")
_H3_MODES = (Mode.T2V, Mode.I2V, Mode.FL2V, Mode.S2V)

FAMILIES: Mapping[Family, FamilyInfo] = {
    Family.WAN: FamilyInfo(
        family=Family.WAN,
        defaults=Defaults(width=832, height=480, fps=16, steps=50, guidance=5.0),
        classes=_WAN_CLASSES,
    ),
    Family.LTX: FamilyInfo(
        family=Family.LTX,
        defaults=Defaults(width=768, height=512, fps=24, steps=50, guidance=3.0),
        classes=_LTX_CLASSES,
    ),
    Family.MINIMAX_H3: FamilyInfo(
        family=Family.MINIMAX_H3,
        defaults=Defaults(width=1344, height=768, fps=24, steps=50, guidance=1.0),
        classes=dict.fromkeys(_H3_MODES, "MiniMaxH3ModularPipeline"),
        modular=True,
        sound=True,
        step_callback=False,
        terminal_step=True,
        workflows={Mode.T2V: "t2va", Mode.I2V: "fl2va", Mode.FL2V: "fl2va", Mode.S2V: "ref2va"},
    ),
    Family.LTX2: FamilyInfo(
        family=Family.LTX2,
        defaults=Defaults(
            width=768,
            height=512,
            fps=24,
            steps=30,
            guidance=3.0,
            negative_prompt="worst quality, inconsistent motion, blurry, jittery, distorted",
        ),
        classes={
            Mode.T2V: "LTX2Pipeline",
            Mode.I2V: "LTX2ImageToVideoPipeline",
            Mode.FL2V: "LTX2ConditionPipeline",
        },
        sound=True,
    ),
    Family.HUNYUANVIDEO15: FamilyInfo(
        family=Family.HUNYUANVIDEO15,
        defaults=Defaults(width=848, height=480, fps=24, steps=50, guidance=1.0),
        classes={
            Mode.T2V: "HunyuanVideo15Pipeline",
            Mode.I2V: "HunyuanVideo15ImageToVideoPipeline",
        },
        step_callback=False,  # its __call__ has no callback_on_step_end
    ),
    Family.HELIOS: FamilyInfo(
        family=Family.HELIOS,
        defaults=Defaults(
            width=640,
            height=384,
            fps=24,
            steps=50,
            guidance=5.0,
            negative_prompt=HELIOS_NEGATIVE_PROMPT,
        ),
        classes=dict.fromkeys((Mode.T2V, Mode.I2V), "HeliosPipeline"),
        step_callback=False,  # its callback's step index restarts in every chunk
        chunked=True,
    ),
    Family.SKYREELS_V2: FamilyInfo(
        family=Family.SKYREELS_V2,
        defaults=Defaults(
            width=960,
            height=544,
            fps=24,
            steps=50,
            guidance=5.0,
            flow_shift=5.0,
        ),
        classes=dict.fromkeys((Mode.I2V, Mode.FL2V), "SkyReelsV2ImageToVideoPipeline"),
    ),
}


def info(family: Family) -> FamilyInfo:
    return FAMILIES[family]


def class_name(family: Family, mode: Mode) -> str:
    return FAMILIES[family].classes[mode]
