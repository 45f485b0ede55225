"""The relay's cost: what it adds between an upstream's Success and ours, how many status
calls a task costs, and what 1,000 parked tasks cost the process that holds them.

A real ``reelserve serve`` (SQLite, 2 worker threads) relays MiniMax-Hailuo-02 to the scripted
upstream of the tests (MiniMax v1 wire, in this process, on a real socket).

1. Overhead: a 6 s 1080P MP4 (150 frames, H.264). The upstream's task turns Success at t0; we
   time our Success (the client polls every 20 ms), split into the poll lag (t0 → the status call
   that saw it) and copy + record (download, checksum, decode every frame, store, commit).
   Reference, same run: a bare HTTP download of the same file to disk.
2. Parked: N tasks the upstream never finishes. Once all are parked, the server process's CPU %
   and RSS over a window, against the same process idle before any task (the reference), and
   status calls per task per minute (paced at ``--rate`` calls/s for the whole upstream).

    python benchmarks/relay.py [--parked 1000] [--window 20] [--rate 5] [--poll 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.harness import wait_until
from tests.e2e.server import Server, create_key
from tests.relay.upstream_server import KEY, ScriptedUpstream

_TICKS = os.sysconf("SC_CLK_TCK")


def mp4_1080p(seconds: int = 6, fps: int = 25) -> bytes:
    """Moving gradients with grain: compresses like real footage (a few MB), not like a flat colour."""
    import io
    from fractions import Fraction

    import av

    rng = np.random.default_rng(7)
    grain = rng.integers(0, 24, (1080, 1920, 1), dtype=np.uint8)
    x = np.linspace(0, 255, 1920, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, 1080, dtype=np.float32)[:, None, None]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as media:
        stream = media.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"preset": "ultrafast", "crf": "23"}
        for index in range(seconds * fps):
            shift = index * 6
            base = (x + shift) % 256 * np.array([1.0, 0.5, 0.2]) + (y * np.array([0.1, 0.4, 0.8]))
            pixels = np.clip(base, 0, 230).astype(np.uint8) + np.roll(grain, index * 3, axis=1)
            media.mux(stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        media.mux(stream.encode())
    return buffer.getvalue()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def usage(pid: int, window: float) -> tuple[float, float]:
    """CPU % of one core and RSS (MiB) over ``window`` seconds."""
    before = cpu_seconds(pid)
    time.sleep(window)
    return 100 * (cpu_seconds(pid) - before) / window, rss_mib(pid)


def start_server(
    root: Path, upstream: ScriptedUpstream, rate: float, poll: float
) -> tuple[Server, httpx.Client]:
    registry = root / "engines.toml"
    registry.write_text(
        f'[upstreams.up]\ndialect = "minimax"\nbase_url = "{upstream.url}/gw"\n'
        f'api_key_env = "BENCH_UPSTREAM_KEY"\nmax_in_flight = 100000\npoll_interval_s = {poll}\n'
        f"max_status_per_s = {rate}\ndeadline_s = 86400\n"
        '[models."MiniMax-Hailuo-02"]\nengine = "upstream"\nupstream = "up"\n'
    )
    server = Server(
        root / "data",
        REELSERVE_ENGINE_REGISTRY=str(registry),
        BENCH_UPSTREAM_KEY=KEY,
        REELSERVE_WORKERS="2",
    )
    key = create_key(server.data_dir)
    server.start()
    client = httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )
    return server, client


def create(client: httpx.Client, prompt: str) -> str:
    answer = client.post(
        "/v1/video_generation", json={"model": "MiniMax-Hailuo-02", "prompt": prompt}
    ).json()
    assert answer["base_resp"]["status_code"] == 0, answer
    return str(answer["task_id"])


def overhead(client: httpx.Client, upstream: ScriptedUpstream, root: Path) -> dict[str, Any]:
    upstream.script.outcome = "never"
    task_id = create(client, "overhead")
    wait_until(lambda: upstream.tasks, 60, "the task reached the upstream")
    (theirs,) = [t for t in upstream.tasks.values() if t.body["prompt"] == "overhead"]
    wait_until(lambda: upstream.status_calls >= 1, 60, "a first status call")
    calls_before = upstream.status_calls
    seen: list[float] = []
    original = upstream.advance

    def advance(upstream_id: str) -> tuple[str, int] | None:
        state = original(upstream_id)
        if state and state[0] == "Success" and not seen:
            seen.append(time.perf_counter())
        return state

    upstream.advance = advance  # type: ignore[method-assign]
    theirs.outcome, theirs.polls_left = "success", 0
    t0 = time.perf_counter()
    while (
        client.get("/v1/query/video_generation", params={"task_id": task_id}).json()["status"]
        != "Success"
    ):
        time.sleep(0.02)
    t1 = time.perf_counter()
    upstream.advance = original  # type: ignore[method-assign]
    started = time.perf_counter()
    with (
        httpx.stream("GET", f"{upstream.url}/cdn/ref.mp4") as answer,
        (root / "ref.mp4").open("wb") as sink,
    ):
        for chunk in answer.iter_raw(1024 * 1024):
            sink.write(chunk)
    raw = time.perf_counter() - started
    copy = t1 - seen[0]
    return {
        "mp4_bytes": len(upstream.mp4),
        "upstream_success_to_ours_s": round(t1 - t0, 3),
        "poll_lag_s": round(seen[0] - t0, 3),
        "copy_and_record_s": round(copy, 3),
        "reference_raw_download_s": round(raw, 3),
        "copy_vs_raw_download": round(copy / raw, 1),
        "status_calls_after_success": upstream.status_calls - calls_before,
    }


def parked(
    client: httpx.Client, upstream: ScriptedUpstream, pid: int, count: int, window: float
) -> dict[str, Any]:
    upstream.script.outcome = "never"
    idle_cpu, idle_rss = usage(pid, window)
    before = len(upstream.tasks)
    started = time.perf_counter()
    for index in range(count):
        create(client, f"parked {index}")
    wait_until(
        lambda: len(upstream.tasks) - before >= count, 600, f"{count} tasks upstream", every=0.5
    )
    handed = time.perf_counter() - started
    time.sleep(2)
    calls = upstream.status_calls
    cpu, rss = usage(pid, window)
    per_task_min = (upstream.status_calls - calls) / count / (window / 60)
    return {
        "parked_tasks": count,
        "create_and_hand_off_s": round(handed, 1),
        "idle_cpu_percent": round(idle_cpu, 1),
        "idle_rss_mib": round(idle_rss, 1),
        "parked_cpu_percent": round(cpu, 1),
        "parked_rss_mib": round(rss, 1),
        "rss_per_parked_task_kib": round((rss - idle_rss) * 1024 / count, 1),
        "status_calls_per_task_per_min": round(per_task_min, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parked", type=int, default=1000)
    parser.add_argument("--window", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=5.0, help="status calls/s to the upstream")
    parser.add_argument("--poll", type=float, default=5.0, help="poll_interval_s")
    args = parser.parse_args()
    print("encoding the 6 s 1080P reference MP4 …", flush=True)
    video = mp4_1080p()
    with tempfile.TemporaryDirectory() as tmp, ScriptedUpstream(video) as upstream:
        server, client = start_server(Path(tmp), upstream, args.rate, args.poll)
        try:
            assert server.process is not None
            results = {
                "overhead": overhead(client, upstream, Path(tmp)),
                "parked": parked(client, upstream, server.process.pid, args.parked, args.window),
                "settings": vars(args),
            }
        finally:
            client.close()
            server.stop()
    for section in ("overhead", "parked"):
        print(f"\n{section}")
        for name, value in results[section].items():
            print(f"  {name:34} {value}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "relay.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
