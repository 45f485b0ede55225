"""The preview engine against the ffmpeg command line and against the encode-only floor.

Clips (the same size, frame count, libx264 preset and CRF for every method):

- push-in: 6 s at 1080P (1920x1080, 150 frames) from one still.
  preview = ``PreviewEngine`` I2V ``[Push in]``; ffmpeg = ``zoompan`` (1.0 -> 1.3);
  ffmpeg-smooth = ``zoompan`` on a 4x pre-scaled still (the usual fix for zoompan's jitter).
- first-last: 6 s at 768P (1366x768, 150 frames) between two stills.
  preview = ``PreviewEngine`` FL2V (flow morph); ffmpeg = ``xfade`` (a plain cross-fade);
  ffmpeg-smooth = ``minterpolate`` (motion-compensated interpolation, the nearest to a morph).
- floor: the preview engine's own frames, rendered beforehand to a raw I420 file, encoded by the
  same ``Mp4Writer`` with nothing else to do: the cost of encoding alone.

Every method runs in its own process, timed from outside (wall time including start-up, which
ffmpeg pays too); peak memory is the child's max RSS from ``wait4``. The median of ``--runs``
runs is reported, as a table on stdout and as JSON (``--json``).

``--sweep`` instead encodes the push-in frames with several x264 presets and CRFs and reports
time, size and PSNR against the frames, which is how the default encoder settings were chosen.

    .venv/bin/python benchmarks/preview_vs_ffmpeg.py --runs 3
    .venv/bin/python benchmarks/preview_vs_ffmpeg.py --sweep
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from reelserve.adapters.engines.preview import PreviewEngine
from reelserve.adapters.engines.preview.frames import cover, new_frame
from reelserve.adapters.engines.preview.scenes import build_renderer
from reelserve.adapters.engines.preview.storyboard import render_scene
from reelserve.adapters.media.video import EncoderSettings, Mp4Writer
from reelserve.domain import camera
from reelserve.domain.requests import Mode
from reelserve.ports import GenerationJob

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
    engine.generate(
        job_for(clip, stills, output), on_progress=lambda *_: None, should_cancel=lambda: False
    )


def child_floor(clip: str, folder: Path, output: Path, preset: str, crf: int) -> None:
    width, height = CLIPS[clip]["size"]
    frame_bytes = width * height * 3 // 2
    buffer = np.empty((height * 3 // 2, width), dtype=np.uint8)
    settings = EncoderSettings(preset=preset, crf=crf)
    with (
        (folder / f"{clip}.yuv").open("rb") as raw,
        Mp4Writer(output, width=width, height=height, fps=FPS, settings=settings) as writer,
    ):
        while raw.readinto(buffer.data.cast("B")) == frame_bytes:
            writer.write(buffer)


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
    """(wall seconds, CPU seconds (user + system), peak RSS MiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[:4]} failed with exit code {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


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
    rows = []
    for clip in CLIPS:
        prerender(job_for(clip, stills, folder / "unused.mp4"), folder / f"{clip}.yuv")
        methods = {
            "preview": [*me, "--child", "preview", "--clip", clip],
            "ffmpeg": ffmpeg_command(
                clip, folder, folder / f"{clip}-ffmpeg.mp4", args.preset, args.crf
            ),
            "ffmpeg-smooth": ffmpeg_command(
                clip,
                folder,
                folder / f"{clip}-ffmpeg-smooth.mp4",
                args.preset,
                args.crf,
                smooth=True,
            ),
            "floor": [*me, "--child", "floor", "--clip", clip],
        }
        outputs = {method: folder / f"{clip}-{method}.mp4" for method in methods}
        samples: dict[str, list[tuple[float, float, float]]] = {m: [] for m in methods}
        for _ in range(args.runs):
            for method, command in methods.items():  # interleaved, so drift hits all alike
                samples[method].append(timed(command))
        for method in methods:
            walls = [w for w, _, _ in samples[method]]
            cpus = [c for _, c, _ in samples[method]]
            rows.append(
                {
                    "clip": clip,
                    "method": method,
                    "width": CLIPS[clip]["size"][0],
                    "height": CLIPS[clip]["size"][1],
                    "frames": count_frames(outputs[method]),
                    "preset": args.preset,
                    "crf": args.crf,
                    "wall_s": statistics.median(walls),
                    "wall_runs_s": walls,
                    "cpu_s": statistics.median(cpus),
                    "size_mb": outputs[method].stat().st_size / 1e6,
                    "peak_rss_mb": max(m for _, _, m in samples[method]),
                }
            )
        (folder / f"{clip}.yuv").unlink()
    for row in rows:
        same = {r["method"]: r["wall_s"] for r in rows if r["clip"] == row["clip"]}
        row["speedup_vs_ffmpeg"] = same["ffmpeg"] / row["wall_s"]
        row["speedup_vs_ffmpeg_smooth"] = same["ffmpeg-smooth"] / row["wall_s"]
        row["vs_floor"] = row["wall_s"] / same["floor"]
        cpu = {r["method"]: r["cpu_s"] for r in rows if r["clip"] == row["clip"]}
        row["cpu_speedup_vs_ffmpeg"] = cpu["ffmpeg"] / row["cpu_s"]
        row["cpu_vs_floor"] = row["cpu_s"] / cpu["floor"]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--crf", type=int, default=21)
    parser.add_argument("--sweep", action="store_true", help="compare x264 presets and CRFs")
    parser.add_argument("--json", type=Path, default=None, help="where to write the results")
    parser.add_argument("--child", choices=("preview", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--clip", choices=tuple(CLIPS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run = child_preview if args.child == "preview" else child_floor
        run(
            args.clip,
            args.folder,
            args.folder / f"{args.clip}-{args.child}.mp4",
            args.preset,
            args.crf,
        )
        return
    if shutil.which("ffmpeg") is None and not args.sweep:
        raise SystemExit("ffmpeg is not installed (Debian: apt-get install -y ffmpeg)")
    with tempfile.TemporaryDirectory(prefix="reelserve-bench-") as tmp:
        folder = Path(tmp)
        rows = run_sweep(args, folder) if args.sweep else run_table(args, folder)
    if not args.sweep:
        print_table(rows)
    name = "preview_sweep.json" if args.sweep else "preview_vs_ffmpeg.json"
    target = args.json or Path(tempfile.gettempdir()) / name
    target.write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=2))
    print(f"JSON: {target}")


if __name__ == "__main__":
    main()
