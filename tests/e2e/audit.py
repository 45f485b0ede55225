"""The checker of the crash drills: what a client saw while the drill ran, and what is left.

A Jepsen-style history in small: a poller records each task's first visible result (file id and
the hash of its bytes) and every attempt it sees; the audit at the end compares the final state
with that history and with what the store holds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import av
import httpx
from tests.e2e.harness import Api, Store, inspect_mp4

TERMINAL = {"Success", "Fail"}


class Watcher:
    """Polls GET /v1/tasks in a thread: first result per task, later changes, attempt times."""

    def __init__(self, url: str, secret: str, ids: list[str], every: float = 0.2) -> None:
        self._api = Api(url, secret, timeout=10)
        self._ids, self._every = set(ids), every
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)
        self.first: dict[str, tuple[str, str]] = {}  # task -> (file id, sha256 of the bytes)
        self.changed: set[str] = set()  # tasks whose visible result changed after first seen
        self.attempt_seen: dict[tuple[str, int], float] = {}  # (task, attempt) -> first seen
        self.requeued_seen: dict[tuple[str, int], float] = {}  # back in the queue after it
        self.views: dict[str, dict[str, Any]] = {}
        self.poll_errors = 0

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._halt.set()
        if self._thread.is_alive():
            self._thread.join(30)
        self._api.http.close()

    def all_terminal(self) -> bool:
        views = self.views
        return all(views.get(i, {}).get("minimax_status") in TERMINAL for i in self._ids)

    def _run(self) -> None:
        while not self._halt.is_set():
            try:
                self._poll()
            except httpx.HTTPError:  # the server may be down for a moment: that is the drill
                self.poll_errors += 1
            self._halt.wait(self._every)

    def _poll(self) -> None:
        views = self._api.tasks()
        now = time.monotonic()
        for task_id, view in views.items():
            self.attempt_seen.setdefault((task_id, view["attempts"]), now)
            if view["status"] == "queued" and view["attempts"]:
                self.requeued_seen.setdefault((task_id, view["attempts"]), now)
            seen = self.first.get(task_id)
            success = view["minimax_status"] == "Success"
            if seen is None and success:
                data = self._api.download(view["file_id"])
                self.first[task_id] = (view["file_id"], hashlib.sha256(data).hexdigest())
            elif seen is not None and (not success or view["file_id"] != seen[0]):
                self.changed.add(task_id)
        self.views = views


@dataclass(frozen=True, slots=True, kw_only=True)
class Audit:
    lost: int  # not Success at the end
    duplicates: int  # result changed once visible, another hash at the end, or ≠ 1 file row
    bad_videos: int  # does not decode to the expected frame count and size
    reruns: int  # attempts beyond the first, summed
    orphans: int  # objects in the task's output folder that no file row names
    unexpected_tasks: int  # tasks the key owns that the drill did not create


def audit(
    client: Api, store: Store, watcher: Watcher, ids: list[str], shape: tuple[int, int, int]
) -> Audit:
    views = client.tasks()
    rows = store.file_rows()
    lost = duplicates = bad = reruns = orphans = 0
    for task_id in ids:
        view = views.get(task_id)
        if view is None or view["minimax_status"] != "Success":
            lost += 1
            continue
        reruns += view["attempts"] - 1
        mine = rows.get(task_id, [])
        orphans += sum(key not in mine for key in store.outputs(task_id))
        try:
            clip = inspect_mp4(client.download(view["file_id"]))
        except (httpx.HTTPError, av.FFmpegError, IndexError):
            bad += 1
            continue
        bad += (clip.frames, clip.width, clip.height) != shape
        first = watcher.first.get(task_id)
        duplicates += (
            task_id in watcher.changed
            or (first is not None and first != (view["file_id"], clip.sha256))
            or len(mine) != 1
        )
    return Audit(
        lost=lost,
        duplicates=duplicates,
        bad_videos=bad,
        reruns=reruns,
        orphans=orphans,
        unexpected_tasks=len(set(views) - set(ids)),
    )
