"""Items 1 and 2 of the abuse drill (issue 16), from the preview work's defences.

1. A camera plan that explodes memory: ``[Push in]`` ×45 on a first frame, through a real
   `reelserve serve` with one worker. Before: the create-time limits switched off
   (``REELSERVE_MAX_CAMERA_SEGMENTS``, ``REELSERVE_MAX_CAMERA_MAGNIFICATION`` set huge), so the
   task renders and only the renderer's own bound (the warp past 4× the frame) remains; after:
   the defaults, which refuse the plan at create (2013). Figure: the server's peak RSS and what
   became of the task.
2. Tiny images that decode huge: ``tests.e2e.image_bomb`` with the decode budget switched off
   (``REELSERVE_DECODE_BUDGET_PIXELS`` huge) and on. Figure: the API's peak RSS.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from tests.e2e import image_bomb
from tests.e2e.abuse_figures import Row
from tests.e2e.harness import png_data_url
from tests.e2e.server import Server, create_key

HUGE = str(10**12)
PUSHES = 45


def _camera_run(root: Path, name: str, **env: str) -> str:
    data = root / name
    data.mkdir(parents=True)
    key = create_key(data)
    server = Server(data, REELSERVE_WORKERS="1", **env).start()
    assert server.process is not None
    body = {
        "model": "MiniMax-Hailuo-02",
        "prompt": "a harbour " + "[Push in]" * PUSHES,
        "first_frame_image": png_data_url(1280, 720),
    }
    started = time.monotonic()
    try:
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=600
        ) as http:
            answer = http.post("/v1/video_generation", json=body).json()
            code = answer["base_resp"]["status_code"]
            status = f"create {code}"
            while code == 0 and time.monotonic() - started < 600:
                task = http.get(
                    "/v1/query/video_generation", params={"task_id": answer["task_id"]}
                ).json()
                if task["status"] in ("Success", "Fail"):
                    status = f"task {task['status']}"
                    break
                time.sleep(0.5)
        peak = image_bomb.peak_rss_bytes(server.process.pid)
    finally:
        server.stop()
    return f"{peak / 2**30:.2f} GB peak, {status}, {time.monotonic() - started:.1f} s"


def rows(root: Path, bombs: int = 32) -> list[Row]:
    off = {"REELSERVE_MAX_CAMERA_SEGMENTS": HUGE, "REELSERVE_MAX_CAMERA_MAGNIFICATION": HUGE}
    camera = Row(
        "1",
        f"`[Push in]` ×{PUSHES} on a 1280×720 first frame: server peak RSS, outcome",
        _camera_run(root, "camera-off", **off),
        _camera_run(root, "camera-on"),
        "create limits set huge (the renderer's own bound stays on)",
    )
    before = image_bomb.run(bombs, root / "bombs-off", REELSERVE_DECODE_BUDGET_PIXELS=HUGE)
    after = image_bomb.run(bombs, root / "bombs-on")
    bomb = Row(
        "2",
        f"{bombs} concurrent creates of a {before.data_url_chars}-character 40 MP WebP: "
        "API peak RSS",
        f"{before.peak_rss_mb / 1024:.2f} GB",
        f"{after.peak_rss_mb / 1024:.2f} GB",
        "REELSERVE_DECODE_BUDGET_PIXELS huge (no shared decode budget)",
    )
    return [camera, bomb]
