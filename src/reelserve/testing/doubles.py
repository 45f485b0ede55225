"""Test doubles for the ports at the edge: a frozen clock, a scripted engine, a recording
webhook sender and an image fetcher that serves bytes from a dict."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reelserve.domain.errors import InvalidParams, TaskCancelled
from reelserve.domain.jobs import GenerationJob, RenderedVideo
from reelserve.domain.requests import Mode
from reelserve.domain.tasks import Phase
from reelserve.ports import CancelCheck, ProgressCallback

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class FrozenClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = EPOCH) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, by: timedelta | float) -> datetime:
        """Move on by a timedelta or a number of seconds; the new time."""
        step = by if isinstance(by, timedelta) else timedelta(seconds=by)
        with self._lock:
            self._now += step
            return self._now


class ScriptedEngine:
    """An engine that plays a script: ``steps`` progress reports, then either ``error`` is
    raised or ``content`` is written to the job's output path. ``on_step(n)`` runs before step
    n (a test can cancel, advance a clock or wait there); every job is kept in ``jobs``.
    ``sound=True`` plays an engine that makes a soundtrack (kept unless the job asks for none)."""

    def __init__(
        self,
        name: str = "scripted",
        *,
        modes: Iterable[Mode] = tuple(Mode),
        steps: int = 3,
        error: Exception | None = None,
        content: bytes = b"scripted video",
        on_step: Callable[[int], None] = lambda _step: None,
        sound: bool = False,
    ) -> None:
        self.name = name
        self._modes = frozenset(modes)
        self._steps, self._error, self._content, self._on_step = steps, error, content, on_step
        self._sound = sound
        self.jobs: list[GenerationJob] = []

    def supports(self, mode: Mode) -> bool:
        return mode in self._modes

    def generate(
        self, job: GenerationJob, *, on_progress: ProgressCallback, should_cancel: CancelCheck
    ) -> RenderedVideo:
        self.jobs.append(job)
        for step in range(self._steps):
            self._on_step(step)
            if should_cancel():
                raise TaskCancelled()
            on_progress(Phase.RENDERING, step + 1, self._steps)
        if self._error is not None:
            raise self._error
        job.output_path.write_bytes(self._content)
        return RenderedVideo(
            path=job.output_path,
            width=job.width,
            height=job.height,
            fps=job.fps,
            frame_count=job.frame_count,
            has_audio=self._sound and job.audio,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SentPush:
    url: str
    body: bytes
    headers: dict[str, str]


class RecordingWebhookSender:
    """Answers challenges (``accept_challenges``) and pushes with scripted HTTP statuses (then
    200); every push is kept in ``pushes``."""

    def __init__(self, *, accept_challenges: bool = True, statuses: Iterable[int] = ()) -> None:
        self.accept_challenges = accept_challenges
        self._statuses = list(statuses)
        self.challenges: list[str] = []
        self.pushes: list[SentPush] = []
        self._lock = threading.Lock()

    def challenge(self, url: str, value: str, timeout_s: float) -> bool:
        with self._lock:
            self.challenges.append(url)
        return self.accept_challenges

    def deliver(self, url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> int:
        with self._lock:
            self.pushes.append(SentPush(url=url, body=body, headers=dict(headers)))
            return self._statuses.pop(0) if self._statuses else 200


class MemoryImageFetcher:
    """Serves the bytes of known URLs; any other URL fails as an unreachable one would."""

    def __init__(self, bodies: dict[str, bytes] | None = None) -> None:
        self.bodies = dict(bodies or {})

    def fetch(self, url: str, *, max_bytes: int) -> bytes:
        body = self.bodies.get(url)
        if body is None:
            raise InvalidParams(f"image URL {url!r} could not be fetched")
        if len(body) > max_bytes:
            raise InvalidParams(f"image URL {url!r} is over {max_bytes} bytes")
        return body
