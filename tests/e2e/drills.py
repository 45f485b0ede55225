"""Crash drills (issue 4) against real `reelserve` processes in a temp dir.

a. kill -9 workers at random points of running tasks      → 0 lost, 0 duplicate visible results
b. kill -9 the server during creates with Idempotency-Key → exactly one task per key
c. SIGSTOP a worker until its lease is taken over         → its late write is refused
d. kill -9 server and workers over a backlog of tasks     → all finish after the restart

Each drill returns a small result; ``python -m tests.e2e.drills`` prints them as markdown.
Kill timing comes from a seeded ``random.Random``, so a run can be repeated.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, fields
from pathlib import Path

from tests.e2e.drills_server import BacklogResult, ServerKillResult, backlog, server_kill
from tests.e2e.drills_workers import WorkerKillResult, ZombieResult, worker_kill, zombie

__all__ = ["backlog", "main", "markdown", "server_kill", "worker_kill", "zombie"]


Result = WorkerKillResult | ServerKillResult | ZombieResult | BacklogResult


def markdown(results: dict[str, Result]) -> str:
    head = ["drill", "size", "faults injected", "lost", "duplicate visible results", "wall s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, result in results.items():
        cells = [name, *result.summary(), result.wall_s]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    for name, result in results.items():
        lines += ["", f"**{name}**", "", "| figure | value |", "|---|---|"]
        lines += [
            f"| {f.name.replace('_', ' ')} | {getattr(result, f.name)} |" for f in fields(result)
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the crash drills; print their figures.")
    parser.add_argument("--tasks", type=int, default=20, help="tasks in drill a")
    parser.add_argument("--kills", type=int, default=8, help="worker kills in drill a")
    parser.add_argument("--duration", type=int, default=10, choices=(6, 10), help="drill a clips")
    parser.add_argument("--keys", type=int, default=30, help="Idempotency-Keys in drill b")
    parser.add_argument("--server-kills", type=int, default=5, help="server kills in drill b")
    parser.add_argument("--zombies", type=int, default=3, help="rounds of drill c")
    parser.add_argument("--backlog", type=int, default=100, help="queued tasks in drill d")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    seed = args.seed
    results: dict[str, Result] = {
        "a. worker kill -9": worker_kill(args.tasks, args.kills, duration=args.duration, seed=seed),
        "b. server kill -9 during creates": server_kill(args.keys, args.server_kills, seed=seed),
        "c. SIGSTOP zombie": zombie(args.zombies, seed=seed),
        "d. backlog over kill -9": backlog(args.backlog, seed=seed),
    }
    line = " ".join(sys.argv[1:] if argv is None else argv)
    print(f"Crash drills (python -m tests.e2e.drills {line})\n")
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps({n: asdict(r) for n, r in results.items()}, indent=2))


if __name__ == "__main__":
    main()
