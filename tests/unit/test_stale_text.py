"""Names in shipped text that point nowhere (issue 17, design review)."""

from __future__ import annotations

from pathlib import Path

from reelserve.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_registry_names_the_real_setting() -> None:
    text = (ROOT / "src" / "reelserve" / "engines.example.toml").read_text()
    named = {word.split("=")[0] for word in text.replace("(", " ").split() if "REELSERVE_" in word}
    known = {f"REELSERVE_{name.upper()}" for name in Settings.model_fields}
    assert named and named <= known, named - known
