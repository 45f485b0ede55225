"""Create and query latency against a running `reelserve serve` (SQLite), at 1/8/32/64 clients.

Starts its own server on a free port with workers off (the API path alone is measured), creates a
key, then for each concurrency level runs N asyncio clients for a fixed number of requests each.
Prints a table (p50, p99, max in ms, requests/s, errors) and writes JSON to benchmarks/results/.
The reference in the same run is GET /healthz: the cost of the HTTP stack with no database work.

    python benchmarks/api_load.py [--requests 200] [--levels 1,8,32,64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.e2e.server import Server, create_key

BODY = {"model": "MiniMax-Hailuo-02", "prompt": "A paper boat drifts down a rainy street [Push in]"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_level(
    url: str, key: str, clients: int, per_client: int, kind: str
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    locked = 0
    task_ids: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, limits=limits, timeout=30
    ) as http:
        if kind == "query":
            created = await http.post("/v1/video_generation", json=BODY)
            task_ids.append(created.json()["task_id"])

        async def client() -> None:
            nonlocal errors, locked
            for _ in range(per_client):
                start = time.perf_counter()
                if kind == "create":
                    response = await http.post("/v1/video_generation", json=BODY)
                elif kind == "query":
                    response = await http.get(
                        "/v1/query/video_generation", params={"task_id": task_ids[0]}
                    )
                else:
                    response = await http.get("/healthz")
                latencies.append((time.perf_counter() - start) * 1000)
                text = response.text
                if response.status_code != 200 or (
                    '"status_code":0' not in text and kind != "healthz"
                ):
                    errors += 1
                    locked += "locked" in text

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return {
        "kind": kind,
        "clients": clients,
        "requests": len(latencies),
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "rps": len(latencies) / elapsed,
        "errors": errors,
        "locked": locked,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--requests", type=int, default=640, help="requests per level (split across clients)"
    )
    parser.add_argument("--levels", default="1,8,32,64")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        server = Server(data, REELSERVE_WORKERS="0", REELSERVE_LOG_LEVEL="ERROR").start()
        try:
            key = create_key(data)
            rows = []
            for kind in ("healthz", "create", "query"):
                for clients in levels:
                    per_client = max(1, args.requests // clients)
                    rows.append(asyncio.run(run_level(server.url, key, clients, per_client, kind)))
        finally:
            server.stop()
    header = f"{'endpoint':<10}{'clients':>8}{'reqs':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'req/s':>9}{'errors':>8}{'locked':>8}"
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['kind']:<10}{r['clients']:>8}{r['requests']:>7}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['max_ms']:>9.1f}{r['rps']:>9.0f}{r['errors']:>8}{r['locked']:>8}"
        )
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "api_load.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
