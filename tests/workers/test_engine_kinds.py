"""Engine kinds are factories found by name: built-ins in code, others through the entry-point
group ``reelserve.engines`` of any installed distribution."""

from __future__ import annotations

import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from reelserve.adapters.engines import registry
from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.registry import RegistryError, load_router
from reelserve.domain.requests import Mode

ROOT = Path(__file__).parents[2]


def install_plugin(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A distribution with one engine kind, found on sys.path like any installed package."""
    (site / "echo_engine.py").write_text(
        textwrap.dedent(
            """
            from reelserve.domain.requests import Mode

            class EchoEngine:
                name = "echo"

                def __init__(self, model, modes):
                    self.model, self.modes = model, modes

                def supports(self, mode):
                    return mode.value in self.modes

                def generate(self, job, *, on_progress, should_cancel):
                    raise NotImplementedError

            def make(request):
                request.check_keys({"modes"})
                return EchoEngine(request.model.name, tuple(request.options.get("modes", ())))
            """
        )
    )
    info = site / "echo_engine-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-engine\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[reelserve.engines]\necho = echo_engine:make\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "echo_engine", raising=False)


def test_an_installed_distribution_adds_a_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, monkeypatch)
    assert {"echo", "preview", "diffusers"} <= set(registry.kinds())
    path = tmp_path / "engines.toml"
    path.write_text('[models."MiniMax-Hailuo-02"]\nengine = "echo"\nmodes = ["t2v"]\n')
    router = load_router(path, preview=PreviewEngine())
    engine = router.engine_for("MiniMax-Hailuo-02")
    assert engine.name == "echo" and getattr(engine, "model", None) == "MiniMax-Hailuo-02"
    assert router.supports("MiniMax-Hailuo-02", Mode.T2V)
    assert not router.supports("MiniMax-Hailuo-02", Mode.I2V)
    assert router.engine_for("T2V-01").name == "preview"
    path.write_text('[models."MiniMax-Hailuo-02"]\nengine = "echo"\nmode = "t2v"\n')
    with pytest.raises(RegistryError, match=r"unknown key\(s\) mode in \[models"):
        load_router(path, preview=PreviewEngine())


def test_an_unknown_kind_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "engines.toml"
    path.write_text('[models."T2V-01"]\nengine = "echo"\n')
    with pytest.raises(RegistryError, match=r"engine is 'echo'; choose one of .*'preview'"):
        load_router(path, preview=PreviewEngine())


def test_built_in_kinds_do_not_need_the_installed_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry.importlib.metadata, "entry_points", lambda **_: [])
    assert {"preview", "diffusers"} <= set(registry.kinds())


def test_pyproject_declares_the_built_in_kinds_as_registered_in_code() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert declared["reelserve.engines"] == {
        name: f"{module}:make" for name, module in registry._BUILT_IN_PATHS.items()
    }
