"""The preview engine against the ffmpeg command line and against the encode-only floor.

Clips (the same size, frame count, libx264 preset and CRF for every method):

- push-in: 6 s at 1080P (1920x1080, 150 frames) from one still.
  preview = ``PreviewEngine`` I2V ``[Push in]``; ffmpeg = ``zoompan`` (1.0 -> 1.3);
  ffmpeg-smooth = ``zoompan`` on a 4x pre-scaled still (the usual fix for zoompan's jitter).
- first-last: 6 s at 768P (1366x768, 150 frames) between two stills.
  preview = ``PreviewEngine`` FL2V (flow morph); ffmpeg = ``xfade`` (a plain cross-fade);
  ffmpeg-smooth = ``minterpolate`` (motion-compensated interpolation, the nearest to a morph).
- server: the same request end to end through a running ``reelserve serve`` (HTTP create with
  the stills as data URLs, the worker renders, polled every 50 ms until ``Success``).
- floor: the preview engine's own frames, rendered beforehand to a raw I420 file, encoded by the
  same writer (``SegmentedMp4Writer``, same segments) with nothing else to do.

ffmpeg runs as a command, timed from outside (its start-up, ~0.05 s, included, as a user pays
it). The engine and the floor run each in a fresh child process that times its own work (the
server is already running when a request comes, so Python's start-up is not part of a task);
CPU is the child's user + system time over the same span. Peak memory is the child's max RSS
(``wait4``; for the server, its high-water mark). The median of ``--runs`` interleaved runs is
reported, as a table on stdout and as JSON (``--json``).

``--sweep`` instead encodes the push-in frames with several x264 presets and CRFs and reports
time, size and PSNR against the frames, which is how the default encoder settings were chosen.

    .venv/bin/python benchmarks/preview_vs_ffmpeg.py --runs 5
    .venv/bin/python benchmarks/preview_vs_ffmpeg.py --sweep
    .venv/bin/python benchmarks/preview_vs_ffmpeg.py --parts   # the engine's pieces

``--parts`` times the pieces the engine's speed rests on against what each replaced, in one
run: segmented encoding against one x264 with frame threads (the encode alone, and the engine
rendering and encoding), the separable resize path against
the general warp for a 1080P push-in frame, and the intake of a 1080P PNG kept as sent against
the re-encode it avoids.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from PIL import Image

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.preview.frames import (
    Sampler,
    cover,
    new_frame,
    to_planes,
    warp_into,
)
from reelserve.adapters.engines.preview.motion import CameraPath, inverse
from reelserve.adapters.engines.preview.scenes import build_renderer
from reelserve.adapters.engines.preview.storyboard import render_scene
from reelserve.adapters.media import images
from reelserve.adapters.media.segments import Segment, SegmentedMp4Writer
from reelserve.adapters.media.video import EncoderSettings, planes
from reelserve.domain import camera
from reelserve.domain.jobs import GenerationJob
from reelserve.domain.requests import Mode

FPS = 25
CLIPS: dict[str, dict[str, Any]] = {
    "push-in": {"size": (1920, 1080), "frames": 150, "mode": "i2v", "prompt": "[Push in]"},
    "first-last": {"size": (1366, 768), "frames": 150, "mode": "fl2v", "prompt": ""},
}


# --- inputs -----------------------------------------------------------------------------------


def make_stills(folder: Path) -> tuple[Path, Path]:
    """A detailed still (storyboard scene plus fine texture, so the encoder has real work) and a
    second one seen from slightly to the side and closer, for the first-last clip."""
    scene = render_scene("A harbour town by the sea at sunset", 3, 2400, 1350).astype(np.float32)
    rng = np.random.default_rng(3)
    grain = rng.normal(0, 3, scene.shape[:2]).astype(np.float32)[..., None]
    base = np.clip(scene + grain, 0, 255).astype(np.uint8)
    first = cover(base[:, :2300], 1920, 1080)
    last = cover(base[60:1300, 180:], 1920, 1080)
    paths = folder / "first.png", folder / "last.png"
    Image.fromarray(first).save(paths[0])
    Image.fromarray(last).save(paths[1])
    return paths


def job_for(clip: str, stills: tuple[Path, Path], output: Path) -> GenerationJob:
    spec = CLIPS[clip]
    plan = camera.parse(spec["prompt"])
    mode = Mode(spec["mode"])
    return GenerationJob(
        task_id="1",
        model="MiniMax-Hailuo-02",
        mode=mode,
        prompt=plan.prompt,
        raw_prompt=spec["prompt"],
        prompt_optimizer=False,
        plan=plan,
        first_frame=stills[0],
        last_frame=stills[1] if mode is Mode.FL2V else None,
        width=spec["size"][0],
        height=spec["size"][1],
        fps=FPS,
        frame_count=spec["frames"],
        seed=1,
        watermark=False,
        output_path=output,
    )


def prerender(job: GenerationJob, raw: Path) -> None:
    """The engine's frames, as raw I420, for the encode-only floor."""
    renderer = build_renderer(job)
    buffer, planes = new_frame(job.width, job.height)
    with raw.open("wb") as out:
        for index in range(job.frame_count):
            renderer.render(index, planes)
            out.write(buffer.tobytes())


# --- the methods, each run in a child process ---------------------------------------------------


def child_preview(clip: str, folder: Path, output: Path, preset: str, crf: int) -> None:
    stills = (folder / "first.png", folder / "last.png")
    engine = PreviewEngine(preset=preset, crf=crf)
    job = job_for(clip, stills, output)
    engine.generate(job, on_progress=lambda *_: None, should_cancel=lambda: False)


def child_floor(
    clip: str, folder: Path, output: Path, preset: str, crf: int, segments: int = 0
) -> None:
    width, height = CLIPS[clip]["size"]
    frames = CLIPS[clip]["frames"]
    settings = EncoderSettings(preset=preset, crf=crf)
    raw = folder / f"{clip}.yuv"

    def encode(segment: Segment) -> None:
        frame_bytes = width * height * 3 // 2
        with raw.open("rb") as source:
            source.seek(segment.frames.start * frame_bytes)
            for _ in segment.frames:
                frame = segment.acquire()
                for view in planes(frame):
                    row = view.shape[1]
                    data = np.frombuffer(source.read(row * view.shape[0]), dtype=np.uint8)
                    np.copyto(view, data.reshape(view.shape))
                segment.submit(frame)

    with SegmentedMp4Writer(
        output,
        width=width,
        height=height,
        fps=FPS,
        frame_count=frames,
        settings=settings,
        segments=segments,
    ) as writer:
        helpers = [threading.Thread(target=encode, args=(s,)) for s in writer.segments[1:]]
        for helper in helpers:
            helper.start()
        encode(writer.segments[0])
        for helper in helpers:
            helper.join()


def self_timed(work: Any, *args: Any) -> None:
    """Run ``work`` and print its wall and CPU seconds as JSON (the parent reads them)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work(*args)
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}))


def ffmpeg_command(
    clip: str, folder: Path, output: Path, preset: str, crf: int, *, smooth: bool = False
) -> list[str]:
    """The ffmpeg CLI for a clip. ``smooth``: the recipe that matches the preview's quality —
    zoompan on a 4x pre-scaled still (plain zoompan crops on whole pixels and visibly
    jitters), and motion-compensated ``minterpolate`` instead of a cross-fade."""
    width, height = CLIPS[clip]["size"]
    frames = CLIPS[clip]["frames"]
    encode = ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p"]
    common = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    tail = ["-frames:v", str(frames), *encode, str(output)]
    seconds = frames / FPS
    if clip == "push-in":
        zoom = f"zoompan=z='1+0.3*on/{frames - 1}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
        graph = f"{zoom}:d={frames}:s={width}x{height}:fps={FPS}"
        graph = f"scale=iw*4:ih*4,{graph}" if smooth else graph
        return [*common, "-i", str(folder / "first.png"), "-vf", graph, *tail]
    if smooth:
        shutil.copy(folder / "first.png", folder / "seq1.png")
        shutil.copy(folder / "last.png", folder / "seq2.png")
        shutil.copy(folder / "last.png", folder / "seq3.png")  # minterpolate needs a frame after
        graph = f"scale={width}:{height},minterpolate=fps={FPS}:mi_mode=mci,format=yuv420p"
        sequence = ["-framerate", f"1/{seconds:g}", "-start_number", "1"]
        return [*common, *sequence, "-i", str(folder / "seq%d.png"), "-vf", graph, *tail]
    graph = (
        f"[0:v]scale={width}:{height}[a];[1:v]scale={width}:{height}[b];"
        f"[a][b]xfade=transition=fade:duration={seconds - 2 / FPS}:offset=0,format=yuv420p"
    )
    loop = ["-loop", "1", "-framerate", str(FPS), "-t", str(seconds)]
    inputs = [*loop, "-i", str(folder / "first.png"), *loop, "-i", str(folder / "last.png")]
    return [*common, *inputs, "-filter_complex", graph, *tail]


def timed(command: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds (user + system), peak RSS MiB) of one child process; a child
    that prints its own timing (JSON on its last line) is taken at its word for wall and CPU."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    said = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[:4]} failed with exit code {process.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    lines = said.strip().splitlines()
    if lines and lines[-1].startswith("{"):
        own = json.loads(lines[-1])
        wall, cpu = own["wall"], own["cpu"]
    return wall, cpu, usage.ru_maxrss / 1024


class BenchServer:
    """A real ``reelserve serve`` (one worker) that the benchmark sends its requests to."""

    def __init__(self, folder: Path, preset: str, crf: int) -> None:
        data = folder / "server-data"
        env = {
            **os.environ,
            "REELSERVE_LOG_LEVEL": "WARNING",
            "REELSERVE_WORKERS": "1",
            "REELSERVE_PREVIEW_PRESET": preset,
            "REELSERVE_PREVIEW_CRF": str(crf),
        }
        cli = [sys.executable, "-m", "reelserve.cli"]
        key = (
            subprocess.run(
                [*cli, "keys", "create", "--name", "bench", "--data-dir", str(data)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        port = free_port()
        self.log = (folder / "server.log").open("wb")
        self.process = subprocess.Popen(
            [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data)],
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.http.get("/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise SystemExit("reelserve serve did not start")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def generate(self, body: dict[str, Any], output: Path) -> tuple[float, float, float]:
        cpu = self.cpu_seconds()
        start = time.perf_counter()
        created = self.http.post("/v1/video_generation", json=body).json()
        if created["base_resp"]["status_code"] != 0:
            raise SystemExit(f"create failed: {created}")
        while True:
            status = self.http.get(
                "/v1/query/video_generation", params={"task_id": created["task_id"]}
            ).json()
            if status["status"] in ("Success", "Fail"):
                break
            time.sleep(0.05)
        wall = time.perf_counter() - start
        used = self.cpu_seconds() - cpu
        if status["status"] != "Success":
            raise SystemExit(f"task failed: {status}")
        file = self.http.get("/v1/files/retrieve", params={"file_id": status["file_id"]}).json()
        output.write_bytes(httpx.get(file["file"]["download_url"], timeout=60).content)
        return wall, used, self.peak_mib()

    def close(self) -> None:
        self.http.close()
        self.process.terminate()
        self.process.wait(30)
        self.log.close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def data_url(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def server_body(clip: str, folder: Path) -> dict[str, Any]:
    first = data_url(folder / "first.png")
    if clip == "push-in":
        return {
            "model": "MiniMax-Hailuo-02",
            "prompt": CLIPS[clip]["prompt"],
            "first_frame_image": first,
            "resolution": "1080P",
            "duration": 6,
        }
    return {
        "model": "MiniMax-Hailuo-02",
        "prompt": "",
        "first_frame_image": first,
        "last_frame_image": data_url(folder / "last.png"),
        "resolution": "768P",
        "duration": 6,
    }


def count_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def run_table(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    stills = make_stills(folder)
    me = [
        sys.executable,
        __file__,
        "--folder",
        str(folder),
        "--preset",
        args.preset,
        "--crf",
        str(args.crf),
    ]
    server = BenchServer(folder, args.preset, args.crf)
    rows = []
    try:
        for clip in CLIPS:
            rows += measure_clip(args, folder, stills, me, server, clip)
    finally:
        server.close()
    for row in rows:
        same = {r["method"]: r["wall_s"] for r in rows if r["clip"] == row["clip"]}
        row["speedup_vs_ffmpeg"] = same["ffmpeg"] / row["wall_s"]
        row["speedup_vs_ffmpeg_smooth"] = same["ffmpeg-smooth"] / row["wall_s"]
        row["vs_floor"] = row["wall_s"] / same["floor"]
        cpu = {r["method"]: r["cpu_s"] for r in rows if r["clip"] == row["clip"]}
        row["cpu_speedup_vs_ffmpeg"] = cpu["ffmpeg"] / row["cpu_s"]
        row["cpu_vs_floor"] = row["cpu_s"] / cpu["floor"]
    return rows


def measure_clip(
    args: argparse.Namespace,
    folder: Path,
    stills: tuple[Path, Path],
    me: list[str],
    server: BenchServer,
    clip: str,
) -> list[dict[str, Any]]:
    prerender(job_for(clip, stills, folder / "unused.mp4"), folder / f"{clip}.yuv")
    methods: dict[str, Any] = {
        "server": lambda: server.generate(server_body(clip, folder), folder / f"{clip}-server.mp4"),
        "preview": [*me, "--child", "preview", "--clip", clip],
        "ffmpeg": ffmpeg_command(
            clip, folder, folder / f"{clip}-ffmpeg.mp4", args.preset, args.crf
        ),
        "ffmpeg-smooth": ffmpeg_command(
            clip, folder, folder / f"{clip}-ffmpeg-smooth.mp4", args.preset, args.crf, smooth=True
        ),
        "floor": [*me, "--child", "floor", "--clip", clip],
    }
    samples: dict[str, list[tuple[float, float, float]]] = {m: [] for m in methods}
    for _ in range(args.runs):
        for method, command in methods.items():  # interleaved, so drift hits all alike
            samples[method].append(command() if callable(command) else timed(command))
    rows = []
    for method in methods:
        output = folder / f"{clip}-{method}.mp4"
        walls = [w for w, _, _ in samples[method]]
        rows.append(
            {
                "clip": clip,
                "method": method,
                "width": CLIPS[clip]["size"][0],
                "height": CLIPS[clip]["size"][1],
                "frames": count_frames(output),
                "preset": args.preset,
                "crf": args.crf,
                "wall_s": statistics.median(walls),
                "wall_runs_s": walls,
                "cpu_s": statistics.median(c for _, c, _ in samples[method]),
                "size_mb": output.stat().st_size / 1e6,
                "peak_rss_mb": max(m for _, _, m in samples[method]),
            }
        )
    (folder / f"{clip}.yuv").unlink()
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        f"{'clip':<11} {'method':<13} {'size':>9} {'frames':>6} {'wall s':>7} "
        f"{'ffmpeg/x':>8} {'x/floor':>7} {'cpu s':>6} {'ffmpeg/x':>8} {'x/floor':>7} "
        f"{'MB':>6} {'peak MiB':>8}"
    )
    for r in rows:
        print(
            f"{r['clip']:<11} {r['method']:<13} {r['width']}x{r['height']:<4} {r['frames']:>6} "
            f"{r['wall_s']:>7.2f} {r['speedup_vs_ffmpeg']:>8.2f} {r['vs_floor']:>7.2f} "
            f"{r['cpu_s']:>6.2f} {r['cpu_speedup_vs_ffmpeg']:>8.2f} {r['cpu_vs_floor']:>7.2f} "
            f"{r['size_mb']:>6.2f} {r['peak_rss_mb']:>8.0f}"
        )


def psnr(path: Path, raw: Path, width: int, height: int) -> float:
    """Luma PSNR of the decoded clip against the frames that were encoded."""
    frame_bytes = width * height * 3 // 2
    errors = []
    with av.open(str(path)) as container, raw.open("rb") as source:
        for frame in container.decode(video=0):
            reference = np.frombuffer(source.read(frame_bytes), dtype=np.uint8)
            luma = reference[: width * height].reshape(height, width).astype(np.float64)
            errors.append(
                np.mean(
                    (frame.to_ndarray(format="yuv420p")[:height].astype(np.float64) - luma) ** 2
                )
            )
    return float(10 * np.log10(255**2 / max(1e-9, float(np.mean(errors)))))


def run_sweep(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    stills = make_stills(folder)
    clip = "push-in"
    width, height = CLIPS[clip]["size"]
    prerender(job_for(clip, stills, folder / "unused.mp4"), folder / f"{clip}.yuv")
    rows = []
    grid = [(p, 21) for p in ("ultrafast", "superfast", "veryfast", "faster", "medium")]
    grid += [("veryfast", 18), ("veryfast", 24)]
    for preset, crf in grid:
        command = [
            sys.executable,
            __file__,
            "--folder",
            str(folder),
            "--preset",
            preset,
            "--crf",
            str(crf),
            "--child",
            "floor",
            "--clip",
            clip,
        ]
        samples = [timed(command) for _ in range(args.runs)]
        output = folder / f"{clip}-floor.mp4"
        rows.append(
            {
                "preset": preset,
                "crf": crf,
                "wall_s": statistics.median(s[0] for s in samples),
                "cpu_s": statistics.median(s[1] for s in samples),
                "size_mb": output.stat().st_size / 1e6,
                "psnr_db": psnr(output, folder / f"{clip}.yuv", width, height),
            }
        )
        print(
            f"{preset:<10} crf {crf:<3} {rows[-1]['wall_s']:6.2f} s {rows[-1]['cpu_s']:6.2f} cpu s "
            f"{rows[-1]['size_mb']:6.2f} MB {rows[-1]['psnr_db']:6.2f} dB"
        )
    return rows


def run_parts(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    """The pieces the engine's speed rests on, each against what it replaced, same run."""
    stills = make_stills(folder)
    job = job_for("push-in", stills, folder / "unused.mp4")
    prerender(job, folder / "push-in.yuv")
    rows: list[dict[str, Any]] = []

    def timed_here(work: Any) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        return time.perf_counter() - wall, time.process_time() - cpu

    # 1. encoding: parallel single-threaded segments against one x264 with frame threads,
    #    runs interleaved so that drift on a shared machine hits both alike
    #    (the encode alone, then the engine rendering and encoding)
    encoders = {"segments (one per CPU)": 0, "one x264, frame threads": 1}

    def encode_only(segments: int, output: Path) -> None:
        child_floor("push-in", folder, output, args.preset, args.crf, segments)

    def engine(segments: int, output: Path) -> None:
        PreviewEngine(preset=args.preset, crf=args.crf, segments=segments).generate(
            job_for("push-in", stills, output),
            on_progress=lambda *_: None,
            should_cancel=lambda: False,
        )

    for part, work in (("encode push-in frames", encode_only), ("engine: push-in", engine)):
        samples: dict[str, list[tuple[float, float]]] = {label: [] for label in encoders}
        for _ in range(args.runs):
            for label, segments in encoders.items():
                output = folder / f"parts-{segments}.mp4"
                samples[label].append(timed_here(lambda w=work, s=segments, o=output: w(s, o)))
        for label, segments in encoders.items():
            size = (folder / f"parts-{segments}.mp4").stat().st_size
            rows.append(
                {
                    "part": part,
                    "method": label,
                    "wall": statistics.median(w for w, _ in samples[label]),
                    "cpu": statistics.median(c for _, c in samples[label]),
                    "unit": "s",
                    "note": f"{size / 1e6:.2f} MB",
                }
            )
    # 2. drawing one frame: the separable resize path against the general warp
    source = to_planes(cover(np.asarray(Image.open(stills[0]).convert("RGB")), 1920, 1080))
    path = CameraPath(
        camera.parse("[Push in]"), width=1920, height=1080, frame_count=150, fps=FPS, seed=1
    )
    views = [inverse(path.forward(i)) for i in range(150)]
    target = new_frame(1920, 1080)[1]
    sampler = Sampler(source)
    phases_wall, _ = timed_here(lambda: [sampler.render(v, target) for v in views])
    for label, draw in (
        ("Sampler (cv2.resize)", lambda v: sampler.render(v, target)),
        ("warp_into (cv2.warpAffine)", lambda v: warp_into(source, v, target)),
    ):
        wall, cpu = timed_here(lambda d=draw: [d(v) for v in views * args.runs])
        count = len(views) * args.runs
        rows.append(
            {
                "part": "draw a 1080P push-in frame",
                "method": label,
                "wall": 1000 * wall / count,
                "cpu": 1000 * cpu / count,
                "unit": "ms",
                "note": (
                    f"first pass incl. phase copies: {phases_wall:.2f} s"
                    if label.startswith("Sampler")
                    else ""
                ),
            }
        )
    # 3. create: checking the 1080P still, and the PNG re-encode that keeping it as sent avoids
    data = stills[0].read_bytes()
    picture = Image.open(stills[0]).convert("RGB")
    for label, work in (
        ("decode + check (kept as sent)", lambda: images.decode("first_frame_image", data)),
        ("re-encode as PNG (avoided)", lambda: images.encode_png(picture)),
    ):
        samples = [timed_here(work) for _ in range(args.runs)]
        rows.append(
            {
                "part": "intake of the 1080P still",
                "method": label,
                "wall": 1000 * statistics.median(w for w, _ in samples),
                "cpu": 1000 * statistics.median(c for _, c in samples),
                "unit": "ms",
                "note": f"{len(data) / 1e6:.2f} MB PNG",
            }
        )
    for r in rows:
        print(
            f"{r['part']:<28} {r['method']:<30} wall {r['wall']:7.2f} {r['unit']:<2} "
            f"cpu {r['cpu']:7.2f} {r['unit']:<2} {r['note']}"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", type=int, default=21)
    parser.add_argument("--sweep", action="store_true", help="compare x264 presets and CRFs")
    parser.add_argument(
        "--parts", action="store_true", help="time the engine's pieces against what they replaced"
    )
    parser.add_argument("--json", type=Path, default=None, help="where to write the results")
    parser.add_argument("--child", choices=("preview", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--clip", choices=tuple(CLIPS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = child_preview if args.child == "preview" else child_floor
        output = args.folder / f"{args.clip}-{args.child}.mp4"
        self_timed(run, args.clip, args.folder, output, args.preset, args.crf)
        return
    if shutil.which("ffmpeg") is None and not (args.sweep or args.parts):
        raise SystemExit("ffmpeg is not installed (Debian: apt-get install -y ffmpeg)")
    mode = "sweep" if args.sweep else "parts" if args.parts else "vs_ffmpeg"
    with tempfile.TemporaryDirectory(prefix="reelserve-bench-") as tmp:
        folder = Path(tmp)
        run = {"sweep": run_sweep, "parts": run_parts, "vs_ffmpeg": run_table}[mode]
        rows = run(args, folder)
    if mode == "vs_ffmpeg":
        print_table(rows)
    name = f"preview_{mode}.json"
    target = args.json or Path(tempfile.gettempdir()) / name
    target.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2))
    print(f"JSON: {target}")


if __name__ == "__main__":
    main()
