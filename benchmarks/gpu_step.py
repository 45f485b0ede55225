"""Time one denoising step of real-size Wan2.1 transformers on a GPU, against the FLOP bound.

Builds the Wan2.1 1.3B (and 14B, when it fits) transformer from its published architecture with
random weights (no download: weights do not change the work), in bf16, and times one CFG step (two
forwards: conditional and unconditional) at 480p and 720p for 81 frames. Reports:

- the model FLOPs of a step (docs/diffusers.md, "FLOP model"; research/models_perf.md §4),
- achieved TFLOP/s and the ratio to a bf16 matmul peak measured in the same run,
- peak GPU memory,
- for each attention backend that works here (fastest first: FlashAttention-3, FlashAttention-2,
  SageAttention, cuDNN SDPA, PyTorch SDPA) and with ``torch.compile`` of the repeated blocks.

Without CUDA it prints why and exits 0. ``--tiny`` runs the same code on the CPU with a tiny
config, to check the script itself in CI.

    python benchmarks/gpu_step.py                 # 1.3B and 14B, 480p and 720p
    python benchmarks/gpu_step.py --models 1.3B --json out.json
    python benchmarks/gpu_step.py --tiny
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

# Published architectures (Wan2.1 configs; diffusers WanTransformer3DModel argument names).
ARCHS: dict[str, dict[str, Any]] = {
    "1.3B": {
        "num_attention_heads": 12,
        "attention_head_dim": 128,
        "ffn_dim": 8960,
        "num_layers": 30,
    },
    "14B": {
        "num_attention_heads": 40,
        "attention_head_dim": 128,
        "ffn_dim": 13824,
        "num_layers": 40,
    },
    "tiny": {"num_attention_heads": 2, "attention_head_dim": 12, "ffn_dim": 32, "num_layers": 2},
}
COMMON = {
    "patch_size": (1, 2, 2),
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": 4096,
    "freq_dim": 256,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "eps": 1e-6,
}
SIZES = {"480p": (832, 480), "720p": (1280, 720), "tiny": (32, 32)}
TEXT_TOKENS = 512  # Wan pads the T5 prompt to 512 tokens
BACKENDS = ("_flash_3", "flash", "sage", "_native_cudnn", "native")


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    model: str
    size: str
    frames: int
    tokens: int
    backend: str
    compiled: bool
    step_s: float
    step_tflop: float
    tflops: float
    peak_ratio: float
    peak_mem_gib: float


def tokens(width: int, height: int, frames: int) -> int:
    """Video tokens after the 4×8×8 VAE and the 1×2×2 patch."""
    return ((frames - 1) // 4 + 1) * (height // 16) * (width // 16)


def forward_flops(n: int, arch: dict[str, Any], text: int = TEXT_TOKENS) -> float:
    """FLOPs (2 × MACs) of one forward: projections, attention cores, cross-attention, FFN."""
    d = arch["num_attention_heads"] * arch["attention_head_dim"]
    f, layers = arch["ffn_dim"], arch["num_layers"]
    per_layer = 12 * n * d * d + 4 * n * d * f + 4 * text * d * d + 4 * n * n * d + 4 * n * text * d
    return float(layers * per_layer)


def matmul_peak(torch: Any, device: str, dtype: Any, size: int, repeats: int) -> float:
    """Measured dense matmul TFLOP/s: the ceiling the step is compared against."""
    a = torch.randn(size, size, device=device, dtype=dtype)
    b = torch.randn(size, size, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    seconds = timed(torch, device, lambda: a @ b, repeats)
    return 2 * size**3 / seconds / 1e12


def timed(torch: Any, device: str, fn: Callable[[], object], repeats: int) -> float:
    """Mean seconds per call, synchronised on CUDA."""
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if device == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def build(torch: Any, name: str, device: str, dtype: Any) -> Any:
    import diffusers

    transformer_class: Any = diffusers.WanTransformer3DModel
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # allocate straight in bf16: a 14B model never exists in fp32
    try:
        with torch.device(device):
            model = transformer_class(**COMMON, **ARCHS[name])
    finally:
        torch.set_default_dtype(previous)
    return model.eval().requires_grad_(False)


def inputs(torch: Any, size: str, frames: int, device: str, dtype: Any) -> dict[str, Any]:
    width, height = SIZES[size]
    latent = (1, 16, (frames - 1) // 4 + 1, height // 8, width // 8)
    return {
        "hidden_states": torch.randn(latent, device=device, dtype=dtype),
        "timestep": torch.tensor([500], device=device),
        "encoder_hidden_states": torch.randn(1, TEXT_TOKENS, 4096, device=device, dtype=dtype),
        "return_dict": False,
    }


def usable_backends(
    torch: Any, model: Any, device: str, dtype: Any, wanted: list[str]
) -> list[str]:
    """Backends that really run here (installed and supported by this GPU), fastest first."""
    probe = inputs(torch, "tiny", 5, device, dtype)
    found = []
    for backend in wanted:
        try:
            model.set_attention_backend(backend)
            with torch.inference_mode():
                model(**probe)
            found.append(backend)
        except Exception as error:  # missing package, unsupported GPU or dtype
            print(
                f"  attention backend {backend}: unavailable ({type(error).__name__}: {error})"[
                    :160
                ]
            )
    model.set_attention_backend("native")
    return found


def measure(
    torch: Any, model: Any, args: argparse.Namespace, ctx: dict[str, Any], *, compiled: bool
) -> list[Result]:
    results = []
    for size in args.sizes:
        n = tokens(*SIZES[size], args.frames)
        step_flop = 2 * forward_flops(n, ARCHS[ctx["model"]])  # CFG: two forwards per step
        batch = inputs(torch, size, args.frames, ctx["device"], ctx["dtype"])
        for backend in ctx["backends"]:
            model.set_attention_backend(backend)
            if ctx["device"] == "cuda":
                torch.cuda.empty_cache()
                torch.cuda.reset_peak_memory_stats()
            try:
                with torch.inference_mode():
                    model(**batch)  # warm-up (and compilation)
                    forward_s = timed(torch, ctx["device"], partial(model, **batch), args.repeats)
            except torch.cuda.OutOfMemoryError:
                print(f"  {ctx['model']} {size} {backend}: out of memory, skipped")
                continue
            step_s = 2 * forward_s
            peak = torch.cuda.max_memory_allocated() / 2**30 if ctx["device"] == "cuda" else 0.0
            tflops = step_flop / step_s / 1e12
            results.append(
                Result(
                    model=ctx["model"], size=size, frames=args.frames, tokens=n,
                    backend=backend, compiled=compiled, step_s=step_s,
                    step_tflop=step_flop / 1e12, tflops=tflops,
                    peak_ratio=tflops / ctx["peak"], peak_mem_gib=peak,
                )
            )  # fmt: skip
            print(format_row(results[-1]), flush=True)
    return results


def format_row(r: Result) -> str:
    return (
        f"{r.model:>5} {r.size:>5} {r.frames:>4}f {r.tokens:>7} tok  {r.backend:<14} "
        f"{'compiled' if r.compiled else 'eager':<8} {r.step_s:8.3f} s/step  "
        f"{r.tflops:7.1f} TFLOP/s  {100 * r.peak_ratio:5.1f}% of matmul peak  "
        f"{r.peak_mem_gib:6.1f} GiB"
    )


def fits(torch: Any, name: str) -> bool:
    """Whether the bf16 weights leave at least 40 % of the GPU for activations."""
    params = 14.29e9 if name == "14B" else 1.42e9
    free, _ = torch.cuda.mem_get_info()
    return bool(params * 2 < 0.6 * free)


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # random weights: nothing to fetch
    try:
        import torch
    except ImportError:
        print("gpu_step: torch is not installed (pip install 'reelserve[diffusion]'); skipped")
        return 0
    device = "cpu" if args.tiny else "cuda"
    if device == "cuda" and not torch.cuda.is_available():
        print("gpu_step: no CUDA device found; nothing to measure (use --tiny to check the script)")
        return 0
    dtype = torch.float32 if args.tiny else torch.bfloat16
    peak = matmul_peak(torch, device, dtype, 256 if args.tiny else 8192, 2 if args.tiny else 50)
    gpu = "cpu" if args.tiny else torch.cuda.get_device_name()
    print(f"device {gpu}; measured {dtype} matmul peak {peak:.4g} TFLOP/s", flush=True)
    results: list[Result] = []
    for name in args.models:
        if device == "cuda" and not fits(torch, name):
            print(f"  {name}: does not fit in free GPU memory with room for activations, skipped")
            continue
        model = build(torch, name, device, dtype)
        wanted = list(BACKENDS) if args.backends == ["auto"] else args.backends
        backends = usable_backends(torch, model, device, dtype, wanted)[: args.max_backends]
        ctx = {"model": name, "device": device, "dtype": dtype, "peak": peak, "backends": backends}
        results.extend(measure(torch, model, args, ctx, compiled=False))
        if args.compile:
            # Regional compilation: one transformer block is compiled and reused by all layers.
            model.compile_repeated_blocks(fullgraph=True)
            results.extend(measure(torch, model, args, ctx, compiled=True))
        del model
        if device == "cuda":
            torch.cuda.empty_cache()
    if args.json:
        payload = {
            "device": gpu,
            "matmul_peak_tflops": peak,
            "results": [asdict(r) for r in results],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return 0


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny config on the CPU (CI check)")
    parser.add_argument("--models", nargs="+", default=["1.3B", "14B"], choices=["1.3B", "14B"])
    parser.add_argument("--sizes", nargs="+", default=["480p", "720p"], choices=["480p", "720p"])
    parser.add_argument("--frames", type=int, default=81)
    parser.add_argument("--repeats", type=int, default=3, help="timed forwards per case")
    parser.add_argument("--backends", nargs="+", default=["auto"], help="attention backends")
    parser.add_argument("--max-backends", type=int, default=2, help="fastest N that work")
    parser.add_argument("--no-compile", dest="compile", action="store_false")
    parser.add_argument("--json", help="also write the results as JSON to this path")
    args = parser.parse_args(argv)
    if args.tiny:
        args.models, args.sizes, args.frames, args.repeats = ["tiny"], ["tiny"], 9, 1
        args.compile = False  # inductor on the CPU needs a C++ toolchain: not the point here
    return args


if __name__ == "__main__":
    sys.exit(run(parse(sys.argv[1:])))
