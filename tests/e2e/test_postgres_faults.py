"""PostgreSQL restarted under load: errors only while it is down, each answered at once as
"service unavailable, try again"; afterwards every task Success exactly once, no orphaned object,
no double charge."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.e2e.pg_faults import Answer, Deployment, Load, deployment

pytestmark = pytest.mark.slow

UNAVAILABLE = (1000, "service unavailable, try again")


def check_books(system: Deployment, task_ids: list[str]) -> None:
    """Every task Success once, one file row and one stored object each, charged once."""
    statuses = system.wait_all_ended(task_ids)
    ledger = system.ledger
    assert {statuses[t] for t in task_ids} == {"succeeded"}
    assert len(set(task_ids)) == len(task_ids)
    assert ledger.file_rows() == dict.fromkeys(task_ids, 1)
    assert ledger.objects() == dict.fromkeys(task_ids, 1)  # no orphaned attempt
    assert ledger.charged() == ledger.cost_of_successes() > 0  # no double charge


def test_postgres_restarted_under_load_loses_nothing(tmp_path: Path) -> None:
    with deployment(tmp_path, worker_processes=1, threads=2) as system:
        first = system.warm_up()
        with Load(system.server.url, system.secret, every=0.2) as load:
            time.sleep(1.5)
            down = time.monotonic()
            system.postgres.stop("fast")
            time.sleep(2.0)
            system.postgres.start()
            up = time.monotonic()
            time.sleep(2.0)
        errors = load.errors()
        before = [a for a in load.answers if a.sent + a.took < down]
        after = [a for a in load.answers if a.sent > up + 1.0]  # the pool's first reconnect
        assert errors, "the outage was never seen: the test did not test anything"
        assert all((a.status, a.code, a.message) == (200, *UNAVAILABLE) for a in errors), errors
        assert all(down - 0.5 <= a.sent <= up + 1.0 for a in errors), _times(errors, down, up)
        assert before and after and all(a.task_id for a in before + after)
        assert max(a.took for a in errors) < 2.0, "an error answer hung"
        check_books(system, [first, *load.task_ids])
        print(  # the figures in docs/reliability.md (pytest -rP)
            f"restart: {len(load.answers)} creates, {len(load.task_ids)} tasks, "
            f"{len(errors)} answered 1000 in {up - down:.2f} s down, slowest error answer "
            f"{max(a.took for a in errors) * 1000:.0f} ms, first ok after up "
            f"{min((a.sent - up for a in load.answers if a.sent > up and a.task_id), default=-1):.2f} s"
        )
        assert system.ledger.scratch_left() == []  # no attempt was cut off mid-task


def _times(answers: list[Answer], down: float, up: float) -> list[tuple[float, float]]:
    return [(round(a.sent - down, 2), round(a.sent - up, 2)) for a in answers]


def test_kill_9_of_a_worker_and_of_the_api_under_load_on_postgres(tmp_path: Path) -> None:
    with deployment(tmp_path, worker_processes=2, threads=1) as system:
        system.warm_up()
        with Load(system.server.url, system.secret, every=0.2) as load:
            time.sleep(1.5)
            system.workers[0].kill()  # busy: the load keeps both workers rendering
            system.workers[0].start()
            time.sleep(1.0)
            system.server.kill()  # creates in flight are cut; the client sees no answer
            system.server.start()
            time.sleep(1.5)
        cut = [a for a in load.errors() if a.status == 0]
        assert all(a.status in (0, 200) for a in load.answers), load.errors()
        assert cut, "the API kill was never seen: the test did not test anything"
        everything = list(system.ledger.statuses())  # a cut create may have made a task
        assert set(load.task_ids) <= set(everything)
        check_books(system, everything)  # (the killed worker's scratch folder stays behind)
        print(  # the figures in docs/reliability.md (pytest -rP)
            f"kill -9: {len(load.answers)} creates, {len(everything)} tasks "
            f"({len(everything) - len(load.task_ids) - 1} created by a cut request), "
            f"{len(cut)} creates without an answer"
        )
