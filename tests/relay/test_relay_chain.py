"""End to end: reelserve A relays MiniMax-Hailuo-02 to reelserve B (a real second server,
preview engine), both real ``reelserve serve`` subprocesses. Then kill -9 of both with tasks
in flight: every task ends in Success and B never sees a task twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.harness import FAST_LEASE, Api, inspect_mp4, png_data_url, wait_until
from tests.e2e.server import Server, create_key

pytestmark = pytest.mark.slow

_FRAMES = 150  # 6 s at 25 fps


def _registry(path: Path, b_url: str, poll_interval_s: float) -> Path:
    path.write_text(
        "[upstreams.b]\n"
        'dialect = "minimax"\n'
        f'base_url = "{b_url}"\n'
        'api_key_env = "RELAY_B_KEY"\n'
        f"poll_interval_s = {poll_interval_s}\n"
        "max_status_per_s = 50\n"
        "deadline_s = 600\n"
        '[models."MiniMax-Hailuo-02"]\n'
        'engine = "upstream"\n'
        'upstream = "b"\n'
    )
    return path


class Chain:
    def __init__(self, root: Path, poll_interval_s: float = 0.2, hints: bool = False) -> None:
        self.b = Server(root / "b", REELSERVE_ALLOW_NETWORKS="127.0.0.0/8", **FAST_LEASE)
        b_key = create_key(self.b.data_dir, "relay-a")
        self.b_admin = Api(self.b.url, b_key)
        registry = _registry(root / "engines.toml", self.b.url, poll_interval_s)
        self.a = Server(
            root / "a", REELSERVE_ENGINE_REGISTRY=str(registry), RELAY_B_KEY=b_key, **FAST_LEASE
        )
        if hints:  # A passes its own hint route as callback_url; B pushes there
            self.a.env["REELSERVE_PUBLIC_URL"] = self.a.url
        self.a_key = create_key(self.a.data_dir, "client")
        self.api = Api(self.a.url, self.a_key, timeout=60)

    def done(self, task_ids: list[str], timeout: float = 240) -> dict[str, dict[str, object]]:
        def finished() -> dict[str, dict[str, object]] | None:
            views = {t: self.api.query(t) for t in task_ids}
            pending = [v for v in views.values() if v.get("status") not in ("Success", "Fail")]
            return None if pending else views

        return wait_until(finished, timeout, f"relayed tasks {task_ids} to finish", every=0.5)


@pytest.fixture
def chain(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Chain]:
    built = Chain(tmp_path, **getattr(request, "param", {}))
    built.b.start()
    built.a.start()
    yield built
    built.a.stop()
    built.b.stop()
    built.api.http.close()
    built.b_admin.http.close()


def test_a_relays_t2v_i2v_and_first_last_to_b(chain: Chain) -> None:
    first, last = png_data_url(1280, 720, 1), png_data_url(1280, 720, 2)
    ids = [
        chain.api.create({"model": "MiniMax-Hailuo-02", "prompt": "A harbour [Truck left]"}),
        chain.api.create({"model": "MiniMax-Hailuo-02", "first_frame_image": first}),
        chain.api.create(
            {"model": "MiniMax-Hailuo-02", "first_frame_image": first, "last_frame_image": last}
        ),
    ]
    views = chain.done(ids)
    for view in views.values():
        assert view["status"] == "Success", view
        answer = chain.api.http.get("/v1/files/retrieve", params={"file_id": view["file_id"]})
        url = answer.json()["file"]["download_url"]
        assert urlsplit(url).netloc == urlsplit(chain.a.url).netloc  # A's own link
        clip = inspect_mp4(chain.api.download(str(view["file_id"])))
        assert clip.frames == _FRAMES
        assert (clip.width, clip.height) == (view["video_width"], view["video_height"])
    seen_by_b = chain.b_admin.tasks()
    assert len(seen_by_b) == len(ids)  # exactly one B task per relayed task
    assert sorted(v["status"] for v in seen_by_b.values()) == ["succeeded"] * 3


def test_kill_9_of_a_and_b_with_tasks_in_flight(chain: Chain) -> None:
    ids = [
        chain.api.create({"model": "MiniMax-Hailuo-02", "prompt": f"drill {n}"}) for n in range(4)
    ]
    wait_until(lambda: len(chain.b_admin.tasks()) == len(ids), 60, "every task reached B")
    chain.b.kill()  # B dies with its renders in flight; A's polls meet a closed port
    time.sleep(3)
    chain.b.start()  # B restarted later
    chain.a.kill()  # A dies with every task parked
    chain.a.start()
    views = chain.done(ids)
    assert all(v["status"] == "Success" for v in views.values()), views
    assert len(chain.b_admin.tasks()) == len(ids)  # no duplicate upstream submissions
    for view in views.values():
        assert inspect_mp4(chain.api.download(str(view["file_id"]))).frames == _FRAMES


@pytest.mark.parametrize("chain", [{"poll_interval_s": 600, "hints": True}], indirect=True)
def test_b_pushes_are_hints_that_bring_the_check_forward(chain: Chain) -> None:
    """A checks each task every 600 s; only B's pushes to A's hint route can end it sooner."""
    task_id = chain.api.create({"model": "MiniMax-Hailuo-02", "prompt": "pushed"})
    (view,) = chain.done([task_id], timeout=120).values()
    assert view["status"] == "Success"
    (seen,) = chain.b_admin.tasks().values()
    assert seen["status"] == "succeeded"
