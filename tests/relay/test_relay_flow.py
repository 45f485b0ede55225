"""The relay in front of a scripted MiniMax v1 upstream: the normal path, inputs, phases,
restarts and the crash window. Real HTTP, real SQLite, real MP4s."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from reelserve.domain.relay import ParkState, idempotency_key
from reelserve.domain.tasks import Phase, TaskStatus
from tests.conftest import png_data_url
from tests.relay.conftest import Relaying
from tests.relay.upstream_server import KEY, ScriptedUpstream


def stored_bytes(relay: Relaying, file_id: str) -> bytes:
    record = relay.container.tasks.get_file(relay.owner, file_id)
    with relay.container.files.open(record.storage_key) as handle:
        return handle.read()


def test_t2v_is_relayed_once_and_the_result_is_ours(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, mp4: bytes
) -> None:
    relay = relaying()
    task = relay.submit(prompt="A lighthouse [Pan left] at dusk", duration=6, resolution="768P")
    done = relay.wait(task.id)
    assert done.status is TaskStatus.SUCCEEDED, done.error_message
    assert (done.width, done.height, done.frame_count, done.fps) == (160, 90, 25, 25)
    assert done.file_id is not None
    assert stored_bytes(relay, done.file_id) == mp4  # a copy in our storage
    assert [key for key, _ in upstream.creates] == [idempotency_key(task.id, 1)]
    body = upstream.creates[0][1]
    assert body["model"] == "MiniMax-Hailuo-02"
    assert body["prompt"] == "A lighthouse [Pan left] at dusk"  # camera brackets passed on
    assert (body["duration"], body["resolution"]) == (6, "768P")
    assert upstream.auth_seen == {f"Bearer {KEY}"}
    row = relay.container.relay.relay.parked.get(task.id)  # type: ignore[union-attr]
    assert row is not None and row.state is ParkState.DONE
    assert row.sha256 == hashlib.sha256(mp4).hexdigest()
    assert row.checks == upstream.status_calls == 3  # Queueing, Processing, Success


def test_i2v_and_first_last_send_the_frames_as_data_urls(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    relay = relaying()
    first, last = png_data_url(640, 360), png_data_url(640, 360, (20, 90, 200))
    i2v = relay.submit(prompt="wave", first_frame_image=first)
    fl2v = relay.submit(prompt="turn", first_frame_image=first, last_frame_image=last)
    assert relay.wait(i2v.id).status is TaskStatus.SUCCEEDED
    assert relay.wait(fl2v.id).status is TaskStatus.SUCCEEDED
    bodies = {b["prompt"]: b for _, b in upstream.creates}
    assert bodies["wave"]["first_frame_image"].startswith("data:image/png;base64,")
    assert "last_frame_image" not in bodies["wave"]
    assert bodies["turn"]["last_frame_image"].startswith("data:image/png;base64,")


def test_progress_shows_the_upstream_phases(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.outcome = "never"
    relay = relaying()
    task = relay.submit(prompt="slow one")
    seen = relay.wait(task.id, until=lambda t: t.progress.phase is Phase.UPSTREAM_PROCESSING)
    assert seen.status is TaskStatus.PROCESSING
    # The parked task holds no worker: both worker threads still take other work.
    assert seen.lease is not None
    assert seen.lease.expires_at - seen.updated_at > timedelta(minutes=30)
    upstream.tasks[next(iter(upstream.tasks))].outcome = "success"
    assert relay.wait(task.id).status is TaskStatus.SUCCEEDED


def test_a_restart_resumes_polling_from_the_database(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.outcome = "never"
    first = relaying()
    task = first.submit(prompt="survives a restart")
    first.wait(task.id, until=lambda t: t.progress.phase is Phase.UPSTREAM_PROCESSING)
    first.pool.stop()  # the process goes away; nothing in memory survives
    first.container.close()
    upstream.tasks[next(iter(upstream.tasks))].outcome = "success"
    second = relaying()
    assert second.wait(task.id).status is TaskStatus.SUCCEEDED
    assert len(upstream.creates) == 1


def test_the_crash_window_resubmits_with_the_same_key_and_is_counted(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    """The upstream accepted a create whose answer we never committed (we crashed)."""
    relay = relaying()
    relay.pool.stop()  # no worker: we stage the crash by hand
    runtime = relay.container.relay
    assert runtime is not None
    task = relay.submit(prompt="crash window")
    claimed = relay.container.queue.claim("w", relay.container.clock.now(), timedelta(seconds=5))
    assert claimed is not None and claimed.id == task.id
    key = idempotency_key(task.id, 1)
    handed = runtime.relay.hand_off(claimed)  # commits 'submitting', then the create …
    assert handed.lease_until is not None
    row = runtime.relay.parked.get(task.id)
    assert row is not None
    # … now pretend the commit of the upstream id was lost:
    runtime.relay.parked.move(
        task.id, ParkState.SUBMITTING, relay.container.clock.now(), upstream_task_id=None
    )
    runtime.relay.hand_off(claimed)
    again = runtime.relay.parked.get(task.id)
    assert again is not None and again.state is ParkState.PARKED and again.resubmits == 1
    assert again.upstream_task_id == row.upstream_task_id  # the upstream deduplicated the key
    assert [k for k, _ in upstream.creates] == [key, key] and len(upstream.tasks) == 1
    metrics = [s for s in runtime.stats() if s.upstream == "fake"]
    assert sum(s.resubmits for s in metrics) == 1


def test_the_upstream_key_never_shows(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream, caplog: object
) -> None:
    upstream.script.create_faults = ["1004"]
    relay = relaying()
    task = relay.submit(prompt="bad key")
    failed = relay.wait(task.id)
    assert failed.status is TaskStatus.FAILED and failed.error_code == 1000
    assert "RELAY_TEST_UPSTREAM_KEY" in failed.error_message
    assert KEY not in failed.error_message and KEY not in json.dumps(repr(failed))
    assert KEY not in caplog.text  # type: ignore[attr-defined]
    assert "refused reelserve's API key" in relay.container.relay.problems()["fake"]  # type: ignore[union-attr]


def test_a_submission_left_half_done_by_a_dead_poller_is_taken_over(
    relaying: Callable[..., Relaying], upstream: ScriptedUpstream
) -> None:
    upstream.script.outcome = "never"
    relay = relaying()
    runtime = relay.container.relay
    assert runtime is not None
    task = relay.submit(prompt="half done")
    relay.wait(task.id, until=lambda t: t.progress.phase is Phase.UPSTREAM_PROCESSING)
    first = runtime.relay.parked.get(task.id)
    assert first is not None
    now = relay.container.clock.now()
    runtime.relay.parked.move(
        task.id,
        ParkState.SUBMITTING,
        now,
        upstream_task_id=None,
        next_check_at=now - timedelta(seconds=1),
    )
    upstream.tasks[next(iter(upstream.tasks))].outcome = "success"
    assert relay.wait(task.id).status is TaskStatus.SUCCEEDED
    row = runtime.relay.parked.get(task.id)
    assert row is not None and row.resubmits == 1
    assert row.upstream_task_id == first.upstream_task_id and len(upstream.tasks) == 1
