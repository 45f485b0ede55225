"""The GPU step benchmark's CPU-side logic: FLOP model, no-CUDA exit, a tiny run on the CPU."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.diffusers

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "gpu_step.py"


@pytest.fixture(scope="module")
def gpu_step() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_step", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_step"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_flop_model_matches_the_published_calibration(gpu_step: ModuleType) -> None:
    """research/models_perf.md §4: Wan2.1-14B 720p 81 f = 75 600 tokens, ≈6.52 PFLOP a forward;
    1.3B 480p ≈0.28 PFLOP."""
    n = gpu_step.tokens(1280, 720, 81)
    assert n == 75_600
    assert gpu_step.forward_flops(n, gpu_step.ARCHS["14B"]) / 1e15 == pytest.approx(6.52, abs=0.01)
    small = gpu_step.forward_flops(gpu_step.tokens(832, 480, 81), gpu_step.ARCHS["1.3B"])
    assert small / 1e15 == pytest.approx(0.28, abs=0.01)


def test_without_cuda_it_says_so_and_exits_cleanly(
    gpu_step: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    torch = pytest.importorskip("torch", reason="needs the diffusion extra")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: the real benchmark would run")
    assert gpu_step.run(gpu_step.parse([])) == 0
    assert "no CUDA device found" in capsys.readouterr().out


def test_tiny_run_on_the_cpu_reports_a_step(gpu_step: ModuleType, tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="needs the diffusion extra")
    pytest.importorskip("diffusers", reason="needs the diffusion extra")
    out = tmp_path / "step.json"
    assert gpu_step.run(gpu_step.parse(["--tiny", "--json", str(out)])) == 0
    report = json.loads(out.read_text())
    assert report["matmul_peak_tflops"] > 0
    (result,) = report["results"]
    assert result["backend"] == "native" and result["tokens"] == 12
    assert result["step_s"] > 0 and result["peak_ratio"] > 0
