"""The abuse drill (issue 16): each resource defence measured with it off and on, in one run.

    python -m tests.e2e.abuse [--creates 60] [--streams 600] [--only 3,5] [--json out.json]

prints a markdown table (item, figure, before, after, how "before" was obtained); the reference
run's table is in docs/reliability.md. Items 1 and 2 (camera plans, image decoding) are
measured by ``tests/e2e/abuse_preview.py``, the others by ``tests/e2e/abuse_figures.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from tests.e2e import abuse_preview
from tests.e2e.abuse_figures import (
    Row,
    dns_lookups,
    event_streams,
    hanging_creates,
    webhook_delay,
)

__all__ = ["main", "markdown"]


def markdown(rows: list[Row]) -> str:
    lines = ["| item | figure | before | after | before measured with |", "|---|---|---|---|---|"]
    lines += [f"| {r.item} | {r.figure} | {r.before} | {r.after} | {r.how} |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the abuse drill; print before/after.")
    parser.add_argument("--bombs", type=int, default=32, help="image-bomb creates (item 2)")
    parser.add_argument("--creates", type=int, default=60, help="hanging creates (item 3)")
    parser.add_argument("--pushes", type=int, default=4, help="hanging pushes of key A (item 4)")
    parser.add_argument("--streams", type=int, default=600, help="event streams (item 5)")
    parser.add_argument("--lookups", type=int, default=8, help="hanging DNS lookups (item 8)")
    parser.add_argument("--only", default="1,2,3,4,5,8", help="items to run, comma-separated")
    parser.add_argument("--json", type=Path, help="also write the rows here as JSON")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="reelserve-abuse-") as temp:
        root = Path(temp)
        steps: list[tuple[str, Callable[[], list[Row]]]] = [
            ("1", lambda: abuse_preview.rows(root, args.bombs)),
            ("3", lambda: [hanging_creates(root, args.creates)]),
            ("4", lambda: [webhook_delay(root, args.pushes)]),
            ("5", lambda: event_streams(root, args.streams)),
            ("8", lambda: [dns_lookups(args.lookups)]),
        ]
        for item, step in steps:
            if item in only or (item == "1" and "2" in only):
                rows += step()
                print(f"item {item} done", file=sys.stderr)
    line = " ".join(sys.argv[1:] if argv is None else argv)
    print(f"Abuse drill (python -m tests.e2e.abuse {line})\n")
    print(markdown(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))


if __name__ == "__main__":
    main()
