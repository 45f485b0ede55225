"""Every setting is in README.md's configuration table (Datasette's habit): a new setting
without a row fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reelserve.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
DOCUMENTED = set(re.findall(r"`(REELSERVE_[A-Z0-9_]+)`", README.split("## Configuration")[1]))


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_a_row_in_the_readme(name: str) -> None:
    assert f"REELSERVE_{name.upper()}" in DOCUMENTED, f"README.md: no row for {name}"


def test_every_row_names_a_setting() -> None:
    known = {f"REELSERVE_{name.upper()}" for name in Settings.model_fields}
    assert DOCUMENTED - known == {"REELSERVE_URL", "REELSERVE_API_KEY"} & DOCUMENTED
