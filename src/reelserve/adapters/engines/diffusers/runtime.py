"""Loaded pipelines on one device: loading, keeping them resident, and one task at a time.

torch and diffusers are imported here, inside functions, only when a pipeline is first loaded
(the ``diffusion`` extra); importing this module costs nothing.

A GPU runs one generation at a time: two 14B denoisers side by side do not fit, and two smaller
ones would only share the same compute. All engines of a router share one ``Runtime``, whose lock
serialises their work and whose cache keeps at most ``max_loaded`` pipelines resident (least
recently used goes first), so a server configured with several checkpoints swaps them instead of
running out of memory.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from typing import Any

from reelserve.adapters.engines.diffusers import families
from reelserve.adapters.engines.diffusers.spec import Family, Offload, PipelineSpec
from reelserve.domain.requests import Mode

_TORCH_DTYPES = {"bfloat16": "bfloat16", "float16": "float16", "float32": "float32"}


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; anything else as given."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def pipeline_class_name(family: Family, mode: Mode) -> str:
    return families.class_name(family, mode)


class Runtime:
    """The pipelines resident on one device, and the lock that gives it one task at a time."""

    def __init__(self, device: str = "auto", *, max_loaded: int = 1) -> None:
        self.requested_device = device
        self.max_loaded = max(1, max_loaded)
        self.lock = threading.Lock()
        self._device: str | None = None
        self._loaded: OrderedDict[str, dict[str, Any]] = OrderedDict()

    @property
    def device(self) -> str:
        if self._device is None:
            self._device = resolve_device(self.requested_device)
        return self._device

    def loaded(self) -> list[str]:
        """Names of the resident pipelines, least recently used first."""
        return list(self._loaded)

    def pipeline(self, spec: PipelineSpec, mode: Mode) -> Any:
        """The pipeline for ``spec`` in ``mode``, loading it on first use. Call under ``lock``.

        One checkpoint may need two classes (Wan2.2-TI2V-5B: ``WanPipeline`` for text,
        ``WanImageToVideoPipeline`` for a first frame); the second is made with ``from_pipe``,
        which shares the loaded components instead of loading them again.
        """
        if families.info(spec.family).modular:
            return self._modular(spec, mode)
        class_name = pipeline_class_name(spec.family, mode)
        classes = self._loaded.get(spec.name)
        if classes is None:
            self._make_room()
            classes = {class_name: self._load(spec, class_name)}
            self._loaded[spec.name] = classes
        self._loaded.move_to_end(spec.name)
        if class_name not in classes:
            import diffusers

            loaded = next(iter(classes.values()))
            pipe = getattr(diffusers, class_name).from_pipe(loaded)
            pipe.set_progress_bar_config(disable=True)
            classes[class_name] = pipe
        return classes[class_name]

    def _make_room(self) -> None:
        while len(self._loaded) >= self.max_loaded:
            self._loaded.popitem(last=False)
            self.free_memory()

    def _modular(self, spec: PipelineSpec, mode: Mode) -> Any:
        """A modular pipeline (MiniMax-H3): one object per checkpoint whose components are loaded
        per workflow, so ``transformer_ref`` (subject references) loads only when first needed."""
        classes = self._loaded.get(spec.name)
        if classes is None:
            self._make_room()
            classes = {"modular": self._load_modular(spec)}
            self._loaded[spec.name] = classes
        self._loaded.move_to_end(spec.name)
        pipe = classes["modular"]
        workflow = families.info(spec.family).workflows[mode]
        pipe.load_components(
            workflow=workflow,
            pretrained_model_name_or_path=str(spec.weights),  # the index may name a hub id
            local_files_only=True,
            **{_dtype_keyword(): self._dtypes(spec)},
        )
        if spec.flow_shift is not None:
            pipe.update_components(scheduler=_shifted(pipe.scheduler, spec.flow_shift))
        if spec.vae_tiling and getattr(pipe, "vae", None) is not None:
            pipe.vae.enable_tiling()
        if spec.cpu_offload is Offload.NONE or self.device == "cpu":
            pipe.to(self.device)
        return pipe

    def _load_modular(self, spec: PipelineSpec) -> Any:
        import diffusers

        library: Any = diffusers  # untyped classes
        manager = None
        if spec.cpu_offload is not Offload.NONE and self.device != "cpu":
            # MiniMax-H3 on one 80 GB card: diffusers' auto offload moves components on demand.
            manager = library.ComponentsManager()
            manager.enable_auto_cpu_offload(device=self.device)
        pipe = library.ModularPipeline.from_pretrained(
            str(spec.weights), components_manager=manager
        )
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def free_memory(self) -> None:
        """Return cached allocator blocks after an unload or an out-of-memory failure."""
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _load(self, spec: PipelineSpec, class_name: str) -> Any:
        import diffusers

        cls = getattr(diffusers, class_name)
        pipe = cls.from_pretrained(
            str(spec.weights),
            local_files_only=True,  # weights are placed by the operator; never reach a hub
            **{_dtype_keyword(): self._dtypes(spec)},
        )
        if spec.flow_shift is not None:
            pipe.scheduler = _shifted(pipe.scheduler, spec.flow_shift)
        if spec.vae_tiling:
            pipe.vae.enable_tiling()
        if spec.cpu_offload is Offload.MODEL and self.device != "cpu":
            pipe.enable_model_cpu_offload(device=self.device)
        elif spec.cpu_offload is Offload.SEQUENTIAL and self.device != "cpu":
            pipe.enable_sequential_cpu_offload(device=self.device)
        else:
            pipe.to(self.device)
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def _dtypes(self, spec: PipelineSpec) -> Any:
        import torch

        def pick(name: str) -> Any:
            if name == "auto":
                return torch.bfloat16 if self.device.startswith("cuda") else torch.float32
            return getattr(torch, _TORCH_DTYPES[name])

        default = pick(spec.dtype)
        if spec.vae_dtype is None:
            return default
        return {"default": default, "vae": pick(spec.vae_dtype)}


def _dtype_keyword() -> str:
    """diffusers renamed ``torch_dtype`` to ``dtype`` (recent releases warn on the old name)."""
    try:
        from diffusers.utils import deprecation_utils
    except ImportError:
        return "torch_dtype"
    return "dtype" if hasattr(deprecation_utils, "_resolve_dtype") else "torch_dtype"


def _shifted(scheduler: Any, shift: float) -> Any:
    # FlowMatchEuler calls it "shift", UniPC/DPM++ in flow mode "flow_shift".
    key = "flow_shift" if "flow_shift" in scheduler.config else "shift"
    return type(scheduler).from_config(scheduler.config, **{key: shift})
