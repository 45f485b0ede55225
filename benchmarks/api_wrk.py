"""API create throughput measured by wrk (a C load generator), SQLite and PostgreSQL.

For each backend a real `reelserve serve` (workers off: the API path alone; ``--processes N``
where the CLI has it) gets, from ``wrk -t2 -c16 --latency``:

1. ``GET /healthz`` flat out: the HTTP stack with no database work (the reference; the machine
   is shared, so the other figures are read as ratios to this one, measured in the same run);
2. ``POST /v1/video_generation`` flat out: creates/s;
3. the same create at a fixed offered rate (half the goal of 1,000/s by default). wrk2 is not in
   Debian; the rate is paced by a Lua ``delay()`` per connection (c / rate seconds between one
   connection's requests), so the offered rate falls a little when answers slow down; the
   achieved rate is printed next to it.

PostgreSQL is a throwaway server from tests/support/postgres.py (Debian's postgresql package).
Needs ``wrk`` (``apt-get install -y wrk``; ``make system-deps``). Prints a table and writes JSON
to benchmarks/results/api_wrk.json.

    python benchmarks/api_wrk.py [--seconds 10] [--rate 500] [--backends sqlite,postgres]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, where benchmarks/queue.py would
# shadow the standard library's queue (which psycopg imports).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import REELSERVE, Server  # noqa: E402

BODY = {"model": "MiniMax-Hailuo-02", "prompt": "A paper boat drifts down a rainy street [Push in]"}
THREADS, CONNECTIONS = 2, 16


def lua(secret: str, pace_ms: float | None) -> str:
    script = [
        'wrk.method = "POST"',
        f"wrk.body = {json.dumps(json.dumps(BODY))}",
        'wrk.headers["Content-Type"] = "application/json"',
        f'wrk.headers["Authorization"] = "Bearer {secret}"',
    ]
    if pace_ms is not None:
        script.append(f"function delay() return {pace_ms:.3f} end")
    return "\n".join(script) + "\n"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse(output: str) -> dict[str, float]:
    """Requests/s, non-2xx answers, socket errors and the latency percentiles of one wrk run."""
    found = {"req_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for name, value in re.findall(r"^\s+(50|90|99)%\s+(\S+)$", output, re.M):
        found[f"p{name}_ms"] = round(_ms(value), 2)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    found["non_2xx"] = float(non2xx.group(1)) if non2xx else 0.0
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    found["socket_errors"] = float(sum(int(g) for g in errors.groups())) if errors else 0.0
    return found


def wrk(url: str, seconds: int, script: Path | None = None) -> dict[str, float]:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    return parse(out)


def create_key(data_dir: Path, env: dict[str, str]) -> str:
    out = subprocess.run(
        [*REELSERVE, "keys", "create", "--name", "wrk", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    return out.stdout.strip().splitlines()[-1]


def serve_processes_flag(processes: int) -> dict[str, str]:
    """``REELSERVE_PROCESSES`` where `serve` has ``--processes`` (the scale branch), else one."""
    help_text = subprocess.run(
        [*REELSERVE, "serve", "--help"], capture_output=True, text=True
    ).stdout
    return {"REELSERVE_PROCESSES": str(processes)} if "--processes" in help_text else {}


def run_backend(name: str, url: str | None, args: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix=f"wrk-{name}-") as tmp:
        data = Path(tmp) / "data"
        env = {"REELSERVE_WORKERS": "0", "REELSERVE_LOG_LEVEL": "WARNING"}
        env |= serve_processes_flag(args.processes)
        if url:
            env["REELSERVE_DATABASE_URL"] = url
        processes = int(env.get("REELSERVE_PROCESSES", "1"))
        server = Server(data, **env).start(timeout=60)
        try:
            secret = create_key(data, env)
            flat, paced = Path(tmp) / "create.lua", Path(tmp) / "paced.lua"
            flat.write_text(lua(secret, None))
            paced.write_text(lua(secret, CONNECTIONS / args.rate * 1000))
            create_url = f"{server.url}/v1/video_generation"
            wrk(f"{server.url}/healthz", 2)  # warm-up
            healthz = wrk(f"{server.url}/healthz", args.seconds)
            create = wrk(create_url, args.seconds, flat)
            at_rate = wrk(create_url, args.seconds, paced)
        finally:
            server.stop()
    for measure, result in (
        ("GET /healthz (ref)", healthz),
        ("create, flat out", create),
        (f"create at {args.rate}/s offered", at_rate),
    ):
        rows.append(
            {
                "backend": name,
                "processes": processes,
                "measure": measure,
                **result,
                "vs_healthz": round(result["req_s"] / healthz["req_s"], 2),
            }
        )
    return rows


@contextmanager
def postgres() -> Iterator[str]:
    from tests.support.postgres import start_postgres

    server = start_postgres()
    try:
        yield server.create_database()
    finally:
        server.destroy()


def print_table(rows: list[dict[str, object]]) -> None:
    print(
        "| backend | processes | measure | req/s | ÷ healthz | p50 ms | p90 ms | p99 ms | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        errors = int(float(str(r["non_2xx"])) + float(str(r["socket_errors"])))
        print(
            f"| {r['backend']} | {r['processes']} | {r['measure']} | {r['req_s']} | "
            f"{r['vs_healthz']} | {r.get('p50_ms', '')} | {r.get('p90_ms', '')} | "
            f"{r.get('p99_ms', '')} | {errors} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--rate", type=float, default=500.0, help="offered creates/s, paced run")
    parser.add_argument("--processes", type=int, default=2, help="serve --processes, if present")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk (make system-deps)")
    rows: list[dict[str, object]] = []
    backends = args.backends.split(",")
    if "sqlite" in backends:
        rows += run_backend("sqlite", None, args)
    if "postgres" in backends:
        with postgres() as url:
            rows += run_backend("postgres", url, args)
    print_table(rows)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "api_wrk.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
