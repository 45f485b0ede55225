"""Drill: tiny images that decode huge (issue 16 item 2), against a real `reelserve serve`.

A lossless WebP of one colour at 6,324 x 6,324 (40 MP, just under the pixel cap) is about 1.6 kB,
a 2 kB data URL; decoding it takes Pillow about 600 MB. ``creates`` requests carrying it as the
first frame go in at once; the figure is the API process's peak resident memory (VmHWM), read
from /proc. Workers are off (``REELSERVE_WORKERS=0``): the drill measures intake alone.

    python -m tests.e2e.image_bomb --creates 32
"""

from __future__ import annotations

import argparse
import base64
import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image
from tests.e2e.harness import workdir
from tests.e2e.server import Server, create_key

SIDE = 6324  # 39.99 MP: under the 40 MP cap, so each image is decoded, not refused


def bomb_data_url(side: int = SIDE) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 40)).save(buffer, "WEBP", lossless=True, method=6)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode()


def peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set (VmHWM) since it started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


@dataclass(frozen=True, slots=True)
class BombResult:
    creates: int
    data_url_chars: int
    accepted: int
    rss_before_mb: float
    peak_rss_mb: float
    wall_s: float


def run(creates: int = 32, root: Path | None = None, **env: str) -> BombResult:
    data_url = bomb_data_url()
    body = {"model": "MiniMax-Hailuo-02", "prompt": "x", "first_frame_image": data_url}
    with workdir(root) as folder:
        data_dir = folder / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = create_key(data_dir)
        server = Server(data_dir, REELSERVE_WORKERS="0", **env).start()
        try:
            assert server.process is not None
            before = peak_rss_bytes(server.process.pid)
            started = time.monotonic()
            with httpx.Client(
                base_url=server.url, headers={"Authorization": f"Bearer {secret}"}, timeout=600
            ) as http:

                def create(_: int) -> int:
                    answer = http.post("/v1/video_generation", json=body).json()
                    return int(answer["base_resp"]["status_code"])

                with ThreadPoolExecutor(creates) as pool:
                    codes = list(pool.map(create, range(creates)))
            wall = time.monotonic() - started
            peak = peak_rss_bytes(server.process.pid)
        finally:
            server.stop()
    return BombResult(
        creates=creates,
        data_url_chars=len(data_url),
        accepted=codes.count(0),
        rss_before_mb=round(before / 2**20, 1),
        peak_rss_mb=round(peak / 2**20, 1),
        wall_s=round(wall, 1),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Peak API memory under concurrent image bombs.")
    parser.add_argument("--creates", type=int, default=32)
    args = parser.parse_args(argv)
    result = run(args.creates)
    print("| creates | data URL chars | accepted | RSS at start MB | peak RSS MB | wall s |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {result.creates} | {result.data_url_chars} | {result.accepted} | "
        f"{result.rss_before_mb} | {result.peak_rss_mb} | {result.wall_s} |"
    )


if __name__ == "__main__":
    main()
