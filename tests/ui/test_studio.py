"""The web studio end to end in a real headless Chromium against a real ``reelserve serve``.

Needs the Debian ``chromium`` package (``/usr/bin/chromium``) and the ``playwright`` Python
package (its bundled browsers are not used, so ``playwright install`` is not needed).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.client.server import running_server

CHROMIUM = Path("/usr/bin/chromium")
# REELSERVE_UPDATE_DOCS=1 refreshes the README's screenshot; otherwise it goes to a temp dir
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "studio.png"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs /usr/bin/chromium: apt-get install -y chromium chromium-driver",
    ),
]


def test_studio_submits_shows_progress_and_plays_the_video(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with running_server(tmp_path) as server, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 1000})
        page.goto(server.url)
        page.fill("#api-key", server.api_key)
        page.click("#key-form button")
        assert page.evaluate("localStorage.getItem('reelserve.apiKey')") == server.api_key

        # The form offers only what the catalog allows for the chosen model and mode.
        page.select_option("#model", "T2V-01-Director")
        assert page.eval_on_selector_all("#resolution option", "o => o.map(x => x.value)") == [
            "720P"
        ]
        assert page.eval_on_selector_all("#duration option", "o => o.map(x => x.value)") == ["6"]
        assert page.locator("#camera-chips .chip").count() == 15

        # Bad input: the server's message appears beside the field it names.
        page.click("#submit")
        error = page.locator('[data-error-for="prompt"]')
        error.wait_for(state="visible")
        assert error.inner_text().startswith("prompt: is required")
        assert "invalid" in (
            page.locator('.field[data-field="prompt"]').get_attribute("class") or ""
        )

        page.fill("#prompt", "A lighthouse on a cliff at dusk, waves below")
        page.click("#camera-chips .chip >> text=Push in")
        assert page.input_value("#prompt").endswith("[Push in]")
        page.click("#submit")

        seen: set[int] = set()
        deadline = time.monotonic() + 60
        while not page.locator("#player").is_visible():
            seen.add(int(page.inner_text("#percent").rstrip("%")))
            assert time.monotonic() < deadline, f"no video; progress seen {sorted(seen)}"
            time.sleep(0.05)
        assert any(0 < p < 100 for p in seen), sorted(seen)  # real progress, not just 0 → 100
        assert page.inner_text("#status") == "succeeded"
        assert page.inner_text("#percent") == "100%"

        page.wait_for_function(
            "() => { const v = document.querySelector('#video');"
            " return v.readyState >= 2 && v.currentTime > 0; }",
            timeout=20_000,
        )
        duration = page.evaluate("document.querySelector('#video').duration")
        assert duration == pytest.approx(6.0, abs=0.2)
        assert page.get_attribute("#download", "href")
        task_id = page.inner_text("#task-id")
        row = page.locator(f'tr[data-task-id="{task_id}"]')
        row.wait_for()
        assert row.locator("td.dialect").inner_text() == "minimax"  # created through MiniMax v1
        assert "sound" not in page.inner_text("#video-meta")  # the preview engine makes no sound
        page.wait_for_timeout(1200)  # let the clip advance for a representative screenshot
        shot = SCREENSHOT if os.environ.get("REELSERVE_UPDATE_DOCS") else tmp_path / "studio.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000  # a real page, not a blank
        browser.close()
