"""Start-up checks of a diffusers weights directory, and what its configs say it can do.

Pure Python: reads ``model_index.json`` and the component ``config.json`` files only, so a
missing or half-downloaded checkpoint fails when the server starts, naming the directory and what
is missing, not twenty minutes later on the first task.

Which checkpoints may serve first+last frame (docs/diffusers.md, "Modes per checkpoint"):

- Wan with ``expand_timesteps`` (Wan2.2-TI2V-5B) conditions frame 0 only and silently ignores
  ``last_image``: refused.
- Wan2.1 I2V (a CLIP image encoder, no ``pos_embed_seq_len``) was trained on a first frame only;
  the FLF2V checkpoint adds that position embedding for the two-image CLIP sequence: refused.
- Wan2.1-FLF2V-14B and Wan2.2-I2V-A14B (no CLIP encoder) take ``last_image``: allowed. The
  FLF2V checkpoint takes *only* first+last: its image embedding expects two CLIP images.
- LTX-Video takes conditions at any frame: every mode.
- SkyReels-V2 I2V is a Wan2.1 derivative (CLIP image encoder, 36-channel transformer): the same
  rule as Wan2.1 I2V / FLF2V decides between first frame and first+last.
- LTX-2 takes a first frame (``LTX2ImageToVideoPipeline``) and conditions at latent frames 0
  and -1 (``LTX2ConditionPipeline``): every mode; ``8k+1`` frames, sides a multiple of 32 (both
  read from the VAE and transformer configs).
- HunyuanVideo 1.5: the transformer's ``task_type`` says which: ``t2v`` checkpoints serve text,
  ``i2v`` ones (with a SigLIP image encoder) a first frame; neither takes a last frame.
- Helios generates in chunks of 9 latent frames: ``32k+1`` frames with the Wan VAE (33, 65, …),
  from text or a first frame; it takes no last frame.
- MiniMax-H3 is a modular pipeline (``modular_model_index.json``): ``transformer/`` serves text,
  first frame and first+last (``t2va``/``fl2va``), ``transformer_ref/`` subject references
  (``ref2va``); frames are ``17n+5`` at 24 fps, 5–15 s; sides a multiple of the VAE's spatial
  compression × the patch size.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelserve.adapters.engines.diffusers.families import FAMILIES
from reelserve.adapters.engines.diffusers.spec import Family
from reelserve.domain.requests import Mode

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
_INDEX_SUFFIXES = (".safetensors.index.json", ".bin.index.json")


class WeightsError(Exception):
    """A weights directory that cannot be loaded; the message names it and what is missing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WeightsInfo:
    class_name: str
    modes: frozenset[Mode]
    frame_step: int
    size_multiple: int
    refusals: dict[Mode, str]  # mode → why this checkpoint cannot serve it
    frame_offset: int = 1
    min_frames: int = 1
    max_frames: int | None = None


def inspect(directory: Path, family: Family) -> WeightsInfo:
    """Check ``directory`` is a complete diffusers pipeline and read its capabilities."""
    modular = FAMILIES[family].modular
    index = _read_json(directory, "modular_model_index.json" if modular else "model_index.json")
    missing: list[str] = []
    for component, entry in index.items():
        if component.startswith("_") or not isinstance(entry, list) or len(entry) not in (2, 3):
            continue
        library, class_name = entry[0], entry[1]
        if library is None or class_name is None:
            continue  # an optional component saved as absent (e.g. transformer_2 = [null, null])
        missing.extend(_component_problems(directory / component, str(class_name)))
    if missing:
        raise WeightsError(
            f"weights directory {directory} is incomplete: " + "; ".join(missing) + " "
            "(download the whole checkpoint again, e.g. `hf download <repo> --local-dir DIR`)"
        )
    if family in (Family.WAN, Family.SKYREELS_V2):
        return _wan_info(directory, index, family)
    if family is Family.MINIMAX_H3:
        return _h3_info(directory, index)
    if family is Family.LTX2:
        return _ltx2_info(directory, index)
    if family is Family.HUNYUANVIDEO15:
        return _hunyuan15_info(directory, index)
    if family is Family.HELIOS:
        return _helios_info(directory, index)
    return _ltx_info(directory, index)


def _read_json(directory: Path, name: str) -> dict[str, Any]:
    if not directory.is_dir():
        raise WeightsError(f"weights directory {directory} does not exist")
    path = directory / name
    if not path.is_file():
        raise WeightsError(
            f"weights directory {directory} has no {name}: it is not a diffusers pipeline "
            "(use the '-Diffusers' variant of the checkpoint)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise WeightsError(f"{path} is not readable JSON: {error}") from error
    if not isinstance(data, dict):
        raise WeightsError(f"{path} is not a JSON object")
    return data


def _component_problems(folder: Path, class_name: str) -> list[str]:
    name = folder.name
    if not folder.is_dir():
        return [f"component folder {name}/ ({class_name}) is missing"]
    files = {p.name for p in folder.iterdir() if p.is_file()}
    if "Scheduler" in class_name:
        return [] if "scheduler_config.json" in files else [f"{name}/scheduler_config.json"]
    if "Guidance" in class_name or "Guider" in class_name:  # HunyuanVideo 1.5's guider/
        return [] if "guider_config.json" in files else [f"{name}/guider_config.json"]
    if "Tokenizer" in class_name or class_name == "TokenizersBackend":
        known = {"tokenizer.json", "tokenizer_config.json", "spiece.model", "vocab.json"}
        return [] if files & known else [f"{name}/ has no tokenizer files"]
    if "Processor" in class_name:
        known = {"preprocessor_config.json", "processor_config.json"}
        return [] if files & known else [f"{name}/preprocessor_config.json"]
    problems = [] if "config.json" in files else [f"{name}/config.json"]
    return problems + _weight_problems(folder, files)


def _weight_problems(folder: Path, files: set[str]) -> list[str]:
    indexes = [f for f in files if f.endswith(_INDEX_SUFFIXES)]
    if indexes:
        shards: set[str] = set()
        for index in indexes:
            try:
                weight_map = json.loads((folder / index).read_text(encoding="utf-8"))["weight_map"]
                shards.update(str(s) for s in weight_map.values())
            except (OSError, ValueError, KeyError, TypeError):
                return [f"{folder.name}/{index} is not a valid shard index"]
        absent = sorted(shards - files)
        return [f"{folder.name}/{s}" for s in absent]
    if any(f.endswith(_WEIGHT_SUFFIXES) for f in files):
        return []
    return [f"{folder.name}/ has no weights file (*.safetensors)"]


def _config(directory: Path, component: str) -> dict[str, Any]:
    path = directory / component / "config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise WeightsError(f"{path} is not readable JSON: {error}") from error
    return data if isinstance(data, dict) else {}


def _wan_info(directory: Path, index: dict[str, Any], family: Family) -> WeightsInfo:
    transformer = _config(directory, "transformer")
    vae = _config(directory, "vae")
    z_dim = int(vae.get("z_dim", 16))
    in_channels = int(transformer.get("in_channels", 16))
    expand = bool(index.get("expand_timesteps", False))
    has_clip = _present(index, "image_encoder")
    image_input = in_channels == 2 * z_dim + 4  # noise + masked first/last frame latents + mask
    refusals: dict[Mode, str] = {}
    if image_input:
        refusals[Mode.T2V] = (
            f"an image-to-video checkpoint (transformer in_channels {in_channels}) needs a first "
            "frame; use a text-to-video checkpoint (e.g. Wan2.1-T2V) for this mode"
        )
    elif not expand:
        refusals[Mode.I2V] = f"a text-to-video checkpoint (transformer in_channels {in_channels})"
    if expand:
        refusals[Mode.FL2V] = (
            "expand_timesteps checkpoints (Wan2.2-TI2V-5B) condition frame 0 only and silently "
            "ignore last_image; use Wan2.1-FLF2V-14B-720P or LTX-Video"
        )
    elif not image_input:
        refusals[Mode.FL2V] = refusals[Mode.I2V]
    elif has_clip and transformer.get("pos_embed_seq_len") is None:
        refusals[Mode.FL2V] = (
            "a Wan2.1 image-to-video checkpoint trained on a first frame only (no "
            "pos_embed_seq_len for a second CLIP image); use Wan2.1-FLF2V-14B-720P"
        )
    elif has_clip:
        # Its image embedding reshapes the CLIP tokens of exactly two images.
        refusals[Mode.I2V] = (
            "the Wan2.1-FLF2V checkpoint needs a first and a last frame (its CLIP position "
            "embedding covers two images); map i2v to an image-to-video checkpoint"
        )
    patch = transformer.get("patch_size", [1, 2, 2])
    spatial = int(vae.get("scale_factor_spatial", 8)) * int(patch[-1])
    temporal = int(vae.get("scale_factor_temporal", 4))
    if family is Family.SKYREELS_V2 and Mode.T2V not in refusals:
        refusals[Mode.T2V] = (
            "SkyReelsV2ImageToVideoPipeline needs a first frame; this checkpoint has no image input"
        )
    modes = frozenset(m for m in (Mode.T2V, Mode.I2V, Mode.FL2V) if m not in refusals)
    return WeightsInfo(
        class_name=str(index.get("_class_name", "")),
        modes=modes,
        frame_step=temporal,
        size_multiple=spatial,
        refusals=refusals,
    )


def _ltx_info(directory: Path, index: dict[str, Any]) -> WeightsInfo:
    _config(directory, "transformer")  # must parse; LTX has no mode restrictions
    return WeightsInfo(
        class_name=str(index.get("_class_name", "")),
        modes=frozenset({Mode.T2V, Mode.I2V, Mode.FL2V}),
        frame_step=8,
        size_multiple=32,
        refusals={},
    )


def _ltx2_info(directory: Path, index: dict[str, Any]) -> WeightsInfo:
    vae = _config(directory, "vae")
    transformer = _config(directory, "transformer")
    scaling = sum(bool(s) for s in vae.get("spatio_temporal_scaling", (True,) * 4))
    spatial = vae.get("spatial_compression_ratio") or int(vae.get("patch_size", 4)) * 2**scaling
    temporal = vae.get("temporal_compression_ratio") or int(vae.get("patch_size_t", 1)) * 2**scaling
    return WeightsInfo(
        class_name=str(index.get("_class_name", "")),
        modes=frozenset({Mode.T2V, Mode.I2V, Mode.FL2V}),
        frame_step=int(temporal),
        # LTX2Pipeline.check_inputs wants sides divisible by 32 whatever the VAE compresses by.
        size_multiple=math.lcm(32, int(spatial) * int(transformer.get("patch_size", 1))),
        refusals={},
    )


def _hunyuan15_info(directory: Path, index: dict[str, Any]) -> WeightsInfo:
    vae = _config(directory, "vae")
    transformer = _config(directory, "transformer")
    task = str(transformer.get("task_type", "t2v"))
    image = task == "i2v" and _present(index, "image_encoder")
    refusals = {Mode.FL2V: "HunyuanVideo 1.5 takes no last frame"}
    if image:
        refusals[Mode.T2V] = "an i2v checkpoint (transformer task_type i2v) needs a first frame"
    else:
        refusals[Mode.I2V] = f"a {task} checkpoint (no image encoder); use an i2v checkpoint"
    modes = frozenset(m for m in (Mode.T2V, Mode.I2V) if m not in refusals)
    spatial = int(vae.get("spatial_compression_ratio", 16)) * int(transformer.get("patch_size", 1))
    return WeightsInfo(
        class_name=str(index.get("_class_name", "")),
        modes=modes,
        frame_step=int(vae.get("temporal_compression_ratio", 4)),
        size_multiple=spatial,
        refusals=refusals,
    )


def _helios_info(directory: Path, index: dict[str, Any]) -> WeightsInfo:
    vae = _config(directory, "vae")
    transformer = _config(directory, "transformer")
    temporal = int(vae.get("scale_factor_temporal", 4))
    spatial = int(vae.get("scale_factor_spatial", 8)) * int(
        transformer.get("patch_size", [1, 2, 2])[-1]
    )
    return WeightsInfo(
        class_name=str(index.get("_class_name", "")),
        modes=frozenset({Mode.T2V, Mode.I2V}),
        # HeliosPipeline: chunks of num_latent_frames_per_chunk = 9 latents; k chunks decode to
        # (9 - 1)·temporal·k + 1 frames (33, 65, 97, … with the Wan VAE).
        frame_step=(9 - 1) * temporal,
        size_multiple=spatial,
        refusals={Mode.FL2V: "HeliosPipeline takes no last frame"},
    )


def _h3_info(directory: Path, index: dict[str, Any]) -> WeightsInfo:
    vae = _config(directory, "vae")
    refusals: dict[Mode, str] = {}
    patch: list[int] = [1, 2, 2]
    if _present(index, "transformer"):
        patch = list(_config(directory, "transformer").get("patch_size", patch))
    else:
        reason = "the checkpoint has no transformer/ partition (t2va/fl2va); download it whole"
        refusals.update(dict.fromkeys((Mode.T2V, Mode.I2V, Mode.FL2V), reason))
    if _present(index, "transformer_ref"):
        patch = list(_config(directory, "transformer_ref").get("patch_size", patch))
    else:
        refusals[Mode.S2V] = "the checkpoint has no transformer_ref/ partition (ref2va)"
    spatial = math.prod(int(f) for f in vae.get("spatial_downsample_factors", (2, 2, 2, 2)))
    fps, chunk = 24, int(vae.get("clip_length", 17))  # MINIMAX_H3_FPS; 17n+5 frames
    temporal = math.prod(int(f) for f in vae.get("temporal_downsample_factors", (1, 2, 2)))
    latents = math.ceil(chunk / temporal)
    modes = frozenset(m for m in (Mode.T2V, Mode.I2V, Mode.FL2V, Mode.S2V) if m not in refusals)
    return WeightsInfo(
        class_name=str(index.get("_class_name", "")),
        modes=modes,
        frame_step=chunk,
        frame_offset=latents,
        min_frames=5 * fps,
        max_frames=15 * fps,
        size_multiple=spatial * int(patch[-1]),
        refusals=refusals,
    )


def _present(index: dict[str, Any], component: str) -> bool:
    entry = index.get(component)
    return isinstance(entry, list) and len(entry) in (2, 3) and entry[0] is not None
