"""The task queue: hand-off latency and no-op throughput, SQLite and PostgreSQL, 1/2/4 workers.

- **hand-off**: an idle, separate worker process (one thread); the benchmark creates one task
  at a time through the task service (what the API does) and reads create → claimed from the
  task's own timestamps (``created_at`` by the creating process, ``started_at`` by the claim; one
  machine, one clock). Reference in the same run: the same worker with its wake-ups switched
  off, i.e. the old polling path (poll interval 0.5 s, the default).
- **throughput**: N tasks queued first, then 1, 2 or 4 worker processes (one thread each) with
  a no-op engine (it writes a few bytes, no video) run them; tasks/s from the first claim to the
  last completion, from the tasks' timestamps (process start-up is not counted). References in
  the same run: the bare claim statement alone (``SqlTaskQueue.claim`` in a loop, one process),
  the ceiling of the queue itself; and on PostgreSQL **procrastinate** (a mature PostgreSQL task
  queue, psycopg 3) running N no-op jobs with the same 1, 2 or 4 worker processes (concurrency
  1 each) on the same server, jobs/s from its own ``started`` → ``succeeded`` events.

PostgreSQL is a throwaway server from tests/support/postgres.py (Debian's postgresql package),
or ``--postgres-url``. Prints a table and writes JSON to benchmarks/results/queue.json.

    python benchmarks/queue.py [--samples 30] [--tasks 200] [--backends sqlite,postgres]
                               [--levels 1,2,4] [--no-procrastinate]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, where this "queue" would shadow
# the standard library's (which concurrent.futures imports).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reelserve.adapters.engines import registry  # noqa: E402
from reelserve.adapters.engines.registry import EngineRequest  # noqa: E402
from reelserve.bootstrap import Container, build  # noqa: E402
from reelserve.domain.jobs import GenerationJob, RenderedVideo  # noqa: E402
from reelserve.domain.requests import GenerationRequest, Mode  # noqa: E402
from reelserve.domain.tasks import Failure, FailureKind  # noqa: E402
from reelserve.ports import CancelCheck, Engine, ProgressCallback  # noqa: E402
from reelserve.settings import Settings  # noqa: E402

MODEL = "T2V-01"
REQUEST = GenerationRequest(model=MODEL, prompt="a paper boat on a rainy street")


class NoopEngine:
    """Writes a few bytes and returns at once: what is left is the queue's own cost."""

    name = "noop"

    def supports(self, mode: Mode) -> bool:
        return True

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> RenderedVideo:
        job.output_path.write_bytes(b"noop")
        return RenderedVideo(
            path=job.output_path, width=job.width, height=job.height, fps=job.fps, frame_count=1
        )


def make_noop(request: EngineRequest) -> Engine:
    return NoopEngine()


# --- the worker process -----------------------------------------------------------------


def worker_main(settings: Settings, wakeups: bool) -> None:
    """A worker process as `reelserve worker` runs it, with the no-op engine registered."""
    from reelserve.adapters.wakeups import LocalWakeups
    from reelserve.worker import WorkerPool

    registry.register("noop", make_noop)
    container = build(settings)
    if not wakeups:  # the reference: polling only
        container.wakeups.close()
        container.wakeups = LocalWakeups()
    pool = WorkerPool(container, 1)
    pool.start()
    pool.join_forever()


# --- the measuring process --------------------------------------------------------------


def settings_for(data_dir: Path, database_url: str | None) -> Settings:
    registry_file = data_dir.parent / "engines.toml"
    registry_file.write_text(f'[models."{MODEL}"]\nengine = "noop"\n')
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        engine_registry=registry_file,
        poll_interval_s=0.5,
        log_level="WARNING",
    )


@contextmanager
def workers(settings: Settings, count: int, *, wakeups: bool = True) -> Iterator[None]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELSERVE_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    command = [
        sys.executable,
        __file__,
        "--worker",
        settings.model_dump_json(),
        "--wakeups" if wakeups else "--no-wakeups",
    ]
    processes = [subprocess.Popen(command, env=env) for _ in range(count)]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


def wait_done(
    container: Container, task_id: str, timeout: float = 30.0, every: float = 0.002
) -> tuple[datetime, datetime]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = container.repository.get(task_id)
        if task is not None and task.status.terminal and task.started_at is not None:
            return task.created_at, task.started_at
        time.sleep(every)
    raise TimeoutError(f"task {task_id} did not finish in {timeout} s")


def handoff(container: Container, samples: int, *, wakeups: bool) -> list[float]:
    owner = container.keys.create(f"handoff-{wakeups}-{time.monotonic_ns()}").key
    latencies: list[float] = []
    with workers(container.settings, 1, wakeups=wakeups):
        wait_done(container, container.tasks.submit(owner, REQUEST).id, timeout=120)  # warm-up
        for _ in range(samples):
            time.sleep(random.uniform(0.1, 0.6))  # idle; any phase of its 0.5 s poll
            created, claimed = wait_done(container, container.tasks.submit(owner, REQUEST).id)
            latencies.append((claimed - created).total_seconds() * 1000)
    return latencies


def throughput(container: Container, count: int, processes: int) -> float:
    owner = container.keys.create(f"throughput-{processes}-{time.monotonic_ns()}").key
    ids = [container.tasks.submit(owner, REQUEST).id for _ in range(count)]
    with workers(container.settings, processes):
        for task_id in ids:  # a slow look: the measuring process stays off the CPU
            wait_done(container, task_id, timeout=300, every=0.2)
    tasks = [container.repository.get(i) for i in ids]
    starts = [t.started_at for t in tasks if t and t.started_at]
    ends = [t.finished_at for t in tasks if t and t.finished_at]
    return count / (max(ends) - min(starts)).total_seconds()


def raw_claims(container: Container, count: int) -> float:
    owner = container.keys.create(f"raw-{time.monotonic_ns()}").key
    for _ in range(count):
        container.tasks.submit(owner, REQUEST)
    store, lease = container.queue, timedelta(seconds=30)
    claimed = []
    started = time.perf_counter()
    while (task := store.claim("bench", datetime.now(UTC), lease, models=[MODEL])) is not None:
        claimed.append(task)
    rate = len(claimed) / (time.perf_counter() - started)
    for task in claimed:  # end them, or the reaper would hand them to the next run
        assert task.lease is not None
        ended = Failure(code=1000, message="benchmark: claimed only", kind=FailureKind.CANCELLED)
        store.transition(task.id, task.lease.token, datetime.now(UTC), ended.status, result=ended)
    return rate


# --- the reference: procrastinate ------------------------------------------------------

PROCRASTINATE_QUEUE = "bench"


def procrastinate_app(conninfo: str) -> Any:
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))

    @app.task(name="noop", queue=PROCRASTINATE_QUEUE)
    def noop() -> None:
        return None

    return app


def procrastinate_worker(conninfo: str) -> None:
    """One worker process, concurrency 1; it ends when the queue is empty (``wait=False``)."""
    procrastinate_app(conninfo).run_worker(
        queues=[PROCRASTINATE_QUEUE],
        concurrency=1,
        wait=False,
        install_signal_handlers=False,
        delete_jobs="never",
    )


def procrastinate_throughput(database_url: str, count: int, processes: int) -> float:
    import psycopg

    from reelserve.adapters.wakeups.postgres import libpq_url

    conninfo = libpq_url(database_url)
    app = procrastinate_app(conninfo)
    with app.open():
        with psycopg.connect(conninfo, autocommit=True) as conn:
            exists = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
            if exists is None or exists[0] is None:
                app.schema_manager.apply_schema()
            conn.execute("TRUNCATE procrastinate_jobs CASCADE")
        app.tasks["noop"].batch_defer(*[{} for _ in range(count)])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, __file__, "--procrastinate-worker", conninfo]
    started = [subprocess.Popen(command, env=env) for _ in range(processes)]
    for process in started:
        process.wait(600)
    with psycopg.connect(conninfo) as conn:
        first, last, done = conn.execute(
            "SELECT min(at) FILTER (WHERE type = 'started'), "
            "max(at) FILTER (WHERE type = 'succeeded'), "
            "count(*) FILTER (WHERE type = 'succeeded') FROM procrastinate_events"
        ).fetchone()
    if done != count:
        raise RuntimeError(f"procrastinate finished {done} of {count} jobs")
    return float(count / (last - first).total_seconds())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_backend(name: str, url: str | None, args: argparse.Namespace) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix=f"queue-{name}-") as tmp:
        registry.register("noop", make_noop)
        container = build(settings_for(Path(tmp) / "data", url))
        try:
            for wakeups in (True, False):
                values = handoff(container, args.samples, wakeups=wakeups)
                rows.append(
                    {
                        "backend": name,
                        "measure": "hand-off" if wakeups else "hand-off, polling (ref)",
                        "workers": 1,
                        "median_ms": round(statistics.median(values), 1),
                        "p95_ms": round(percentile(values, 0.95), 1),
                    }
                )
            rows.append(
                {
                    "backend": name,
                    "measure": "bare claim statement (ref)",
                    "workers": 1,
                    "tasks_per_s": round(raw_claims(container, args.tasks), 1),
                }
            )
            for processes in args.levels:
                rate = throughput(container, args.tasks, processes)
                row: dict[str, object] = {
                    "backend": name,
                    "measure": "no-op tasks",
                    "workers": processes,
                    "tasks_per_s": round(rate, 1),
                }
                rows.append(row)
                if url and args.procrastinate:
                    reference = procrastinate_throughput(url, args.tasks, processes)
                    row["vs_procrastinate"] = round(rate / reference, 2)
                    rows.append(
                        {
                            "backend": name,
                            "measure": "procrastinate no-op jobs (ref)",
                            "workers": processes,
                            "tasks_per_s": round(reference, 1),
                        }
                    )
        finally:
            container.close()
    return rows


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from tests.support.postgres import start_postgres

    server = start_postgres()
    try:
        yield server.create_database()
    finally:
        server.destroy()


def print_table(rows: list[dict[str, object]]) -> None:
    print("| backend | measure | workers | median ms | p95 ms | tasks/s | ÷ procrastinate |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['backend']} | {row['measure']} | {row['workers']} | "
            f"{row.get('median_ms', '')} | {row.get('p95_ms', '')} | {row.get('tasks_per_s', '')} "
            f"| {row.get('vs_procrastinate', '')} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30, help="hand-off samples per path")
    parser.add_argument("--tasks", type=int, default=200, help="tasks per throughput run")
    parser.add_argument("--levels", default="1,2,4", help="worker processes per run")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument(
        "--procrastinate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the procrastinate reference on PostgreSQL (dev extra)",
    )
    parser.add_argument("--procrastinate-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--wakeups", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    if args.worker:
        worker_main(Settings.model_validate_json(args.worker), args.wakeups)
        return
    if args.procrastinate_worker:
        procrastinate_worker(args.procrastinate_worker)
        return
    args.levels = [int(n) for n in args.levels.split(",")]
    rows: list[dict[str, object]] = []
    backends = args.backends.split(",")
    if "sqlite" in backends:
        rows += run_backend("sqlite", None, args)
    if "postgres" in backends:
        with postgres(args.postgres_url) as url:
            rows += run_backend("postgres", url, args)
    print_table(rows)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "queue.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
