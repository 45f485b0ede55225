"""The abuse drill runs and prints its table (the DNS figure: cheap and in-process; the others\nstart servers and take minutes: `python -m tests.e2e.abuse`)."""

from __future__ import annotations

import pytest
from tests.e2e.abuse import main

pytestmark = pytest.mark.slow


def test_the_drill_prints_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--only", "8", "--lookups", "8"])
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("| 8 |"))
    before, after = row.split(" | ")[2:4]
    assert "timed out" in before  # the old shared pool: B waits behind A's lookups
    assert after.endswith("ok")
