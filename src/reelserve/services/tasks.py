"""Task use cases: submit, query, list, cancel, file lookup."""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from reelserve.domain import catalog, geometry, rules
from reelserve.domain.camera import PlanLimits
from reelserve.domain.errors import CallbackCheckFailed, InvalidParams, NotFound, Violation
from reelserve.domain.files import FileRecord
from reelserve.domain.idempotency import (
    IdempotencyClaim,
    IdempotencyConflict,
    IdempotencyState,
    check_key,
)
from reelserve.domain.ids import new_id
from reelserve.domain.images import LoadedImage
from reelserve.domain.keys import ApiKey
from reelserve.domain.limits import KeyLimits, check_balance, check_in_flight
from reelserve.domain.requests import GenerationRequest, ImageSource, Mode
from reelserve.domain.tasks import Task, TaskPage, TaskStatus
from reelserve.domain.tenancy import acting_for
from reelserve.ports import (
    Clock,
    FileCatalog,
    FileStore,
    ImageIntake,
    RateLimiter,
    TaskRepository,
    TaskStats,
    WebhookSender,
)

log = logging.getLogger(__name__)
_ID_TRIES = 3  # inserts under fresh ids when another process took the id (domain/ids.py)
DRAWN_SEEDS = 2**31 - 1  # seeds drawn for a request without one; a client may give up to 2^63 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskLimits:
    max_attempts: int = 3
    callback_timeout_s: float = 3.0
    rpm: int = 0  # per key, on create; 0: no limit (a key's own setting wins)
    max_in_flight: int = 0  # queued + running tasks per key; 0: no limit
    plan: PlanLimits = PlanLimits.DEFAULT  # how far a prompt's camera directives may go


@dataclass(frozen=True, slots=True, kw_only=True)
class _Frames:
    first: LoadedImage | None
    last: LoadedImage | None


class TaskService:
    def __init__(
        self,
        *,
        tasks: TaskRepository,
        catalog: FileCatalog,
        stats: TaskStats,
        files: FileStore,
        intake: ImageIntake,
        clock: Clock,
        rate: RateLimiter,
        webhooks: WebhookSender | None = None,
        limits: TaskLimits = TaskLimits(),
        on_submitted: Callable[[], None] = lambda: None,
        can_serve: Callable[[str, Mode], bool] = lambda model, mode: True,
    ) -> None:
        self._tasks = tasks
        self._catalog = catalog
        self._stats = stats
        self._files = files
        self._intake = intake
        self._clock = clock
        self._webhooks = webhooks
        self._limits = limits
        self._on_submitted = on_submitted
        self._rate = rate
        self._can_serve = can_serve  # (model, mode): does an engine serve it (the registry)
        self._holding: set[tuple[str, str]] = set()  # (owner, Idempotency-Key) being created
        self._holding_lock = threading.Lock()

    # --- create ---------------------------------------------------------------------------

    def submit(
        self,
        owner: ApiKey,
        request: GenerationRequest,
        seed: int | None = None,
        *,
        idempotency_key: str | None = None,
        fingerprint: str = "",
        dialect: str = "minimax",
    ) -> Task:
        """Validate, take in the images, check the callback, then persist a queued task.

        Nothing is written until every check passed, so a refused request leaves nothing behind.
        With an Idempotency-Key, a repeat of a finished request returns the same task; the key is
        recorded in the transaction that inserts the task, so a crash mid-create never blocks
        the retry. A repeat while the first request still runs here is refused (retry later).
        ``dialect`` is the wire dialect creating the task: its callbacks are rendered in it.
        Outbound work (image fetches, the callback check) is charged to ``owner``.
        """
        with acting_for(owner.id):
            return self._submit(owner, request, seed, idempotency_key, fingerprint, dialect)

    def _submit(
        self,
        owner: ApiKey,
        request: GenerationRequest,
        seed: int | None,
        idempotency_key: str | None,
        fingerprint: str,
        dialect: str,
    ) -> Task:
        if idempotency_key is None:
            self._count_request(owner)
            return self._create(owner, request, seed, None, dialect)
        claim = IdempotencyClaim(
            owner_key_id=owner.id, key=check_key(idempotency_key), fingerprint=fingerprint
        )
        if (replay := self._replay(owner, claim)) is not None:
            return replay
        self._hold(claim)
        try:
            self._count_request(owner)
            return self._create(owner, request, seed, claim, dialect)
        except Exception:
            # Another process may have committed a task for this key since we looked: its task
            # is the answer (this request's own insert rolled back with the key).
            if (replay := self._replay(owner, claim)) is not None:
                return replay
            raise
        finally:
            with self._holding_lock:
                self._holding.discard((claim.owner_key_id, claim.key))

    def _count_request(self, owner: ApiKey) -> None:
        """Per-key requests per minute, counted across every API process (the RateLimiter)."""
        self._rate.hit(owner.id, owner.rpm_limit or self._limits.rpm, self._clock.now())

    def _replay(self, owner: ApiKey, claim: IdempotencyClaim) -> Task | None:
        """The task an earlier request with this key created; None when there is none."""
        outcome = self._tasks.begin_idempotent(claim, self._clock.now())
        if outcome.state is IdempotencyState.STARTED:
            return None
        if outcome.state is IdempotencyState.DONE and outcome.task_id:
            return self.get(owner, outcome.task_id)
        raise IdempotencyConflict(claim.key, outcome.state)

    def _hold(self, claim: IdempotencyClaim) -> None:
        """Mark the key in progress in this process: in memory, so it dies with the process."""
        with self._holding_lock:
            if (claim.owner_key_id, claim.key) in self._holding:
                raise IdempotencyConflict(claim.key, IdempotencyState.IN_FLIGHT)
            self._holding.add((claim.owner_key_id, claim.key))

    def _create(
        self,
        owner: ApiKey,
        request: GenerationRequest,
        seed: int | None,
        claim: IdempotencyClaim | None,
        dialect: str,
    ) -> Task:
        resolved = rules.resolve(request, self._limits.plan)
        if not catalog.served_in(resolved.spec, dialect):
            raise InvalidParams(
                [Violation(field="model", message=f"model: {request.model!r} is not served here")]
            )
        if not self._can_serve(resolved.spec.name, resolved.mode):
            raise InvalidParams(
                f"model: {resolved.spec.name} cannot serve mode {resolved.mode.value} here "
                "(no engine in the engine registry serves it)"
            )
        price = resolved.spec.price(resolved.resolution, resolved.duration)  # priced once
        # Before fetching or decoding anything (the store checks both again, atomically):
        check_balance(owner.balance_usd, Decimal(0), price)
        self._check_in_flight(owner)
        frames, fitted = self._fit(self._load_frames(request, resolved.mode), request.size)
        if request.callback_url:
            self._check_callback(request.callback_url)
        lead = frames.first or frames.last
        first_size = (lead.width, lead.height) if lead else None
        width, height = request.size or geometry.output_size(
            resolved.mode, resolved.resolution, first_size
        )
        now = self._clock.now()
        task_id = new_id(now)
        first_key = self._store_frame(task_id, "first", frames.first)
        last_key = self._store_frame(task_id, "last", frames.last)
        task = Task(
            id=task_id,
            owner_key_id=owner.id,
            model=resolved.spec.name,
            requested_model=request.model,
            mode=resolved.mode,
            prompt=resolved.plan.prompt,
            camera_prompt=request.prompt or "",
            prompt_optimizer=request.prompt_optimizer,
            duration=resolved.duration,
            resolution=resolved.resolution,
            width=width,
            height=height,
            fps=resolved.spec.fps,
            frame_count=resolved.duration * resolved.spec.fps,
            aigc_watermark=request.aigc_watermark,
            seed=seed or secrets.randbelow(DRAWN_SEEDS) + 1,
            created_at=now,
            updated_at=now,
            first_frame_key=first_key,
            last_frame_key=last_key,
            callback_url=request.callback_url,
            warnings=(*resolved.warnings, *request.notes, *fitted),
            max_attempts=self._limits.max_attempts,
            cost_usd=price,
            dialect=dialect,
            camera=resolved.plan.segments,
            remixed_from=request.remixed_from,
            audio=request.audio,
        )
        try:
            limits = KeyLimits(
                max_in_flight=owner.max_in_flight or self._limits.max_in_flight,
                balance_usd=owner.balance_usd,
            )
            task = self._add(task, claim, limits)
        except Exception:
            for key in (first_key, last_key):
                if key:
                    self._files.delete(key)
            raise
        self._on_submitted()
        return task

    def _add(self, task: Task, claim: IdempotencyClaim | None, limits: KeyLimits) -> Task:
        """Insert ``task``. When another process took its id in the same millisecond (the
        unique key refused the insert, and a task with that id exists), insert it again under a
        fresh id (domain/ids.py)."""
        for _ in range(_ID_TRIES - 1):
            try:
                self._tasks.add(task, idempotency=claim, limits=limits)
                return task
            except Exception:
                if self._tasks.get(task.id) is None:
                    raise  # not a taken id: a limit, or the database
                log.warning("task id %s was taken by another process; making another", task.id)
            task = replace(task, id=new_id(task.created_at))
        self._tasks.add(task, idempotency=claim, limits=limits)
        return task

    def _check_in_flight(self, owner: ApiKey) -> None:
        limit = owner.max_in_flight or self._limits.max_in_flight
        if limit:
            running = (TaskStatus.QUEUED, TaskStatus.PREPARING, TaskStatus.PROCESSING)
            pages = [
                self._tasks.list(owner.id, status=s, limit=limit, cursor=None) for s in running
            ]
            check_in_flight(sum(len(page.tasks) for page in pages), limit)

    def _load_frames(self, request: GenerationRequest, mode: Mode) -> _Frames:
        """Load every image the mode needs, collecting all violations before raising."""
        wanted: list[tuple[str, ImageSource]] = []
        if mode in (Mode.I2V, Mode.FL2V) and request.first_frame_image:
            wanted.append(("first_frame_image", request.first_frame_image))
        if mode is Mode.FL2V and request.last_frame_image:
            wanted.append(("last_frame_image", request.last_frame_image))
        if mode is Mode.S2V and request.subject_reference:
            wanted.append(("subject_reference[0].image[0]", request.subject_reference[0].images[0]))
        loaded: dict[str, LoadedImage] = {}
        violations: list[Violation] = []
        for field, source in wanted:
            try:
                loaded[field] = self._intake.load(field, source)
            except InvalidParams as error:
                violations.extend(error.violations)
        if violations:
            raise InvalidParams(violations)
        first = loaded.get("first_frame_image") or loaded.get("subject_reference[0].image[0]")
        last = loaded.get("last_frame_image")
        if first is None and last is not None:  # a last frame alone (V2): it sets the shape
            return _Frames(first=None, last=last)
        if first is not None and last is not None:
            last = self._intake.crop_to_aspect(last, (first.width, first.height))
        return _Frames(first=first, last=last)

    def _fit(
        self, frames: _Frames, size: tuple[int, int] | None
    ) -> tuple[_Frames, tuple[str, ...]]:
        """Cover-crop the frames to an exact output size's aspect, saying so in a warning."""
        lead = frames.first or frames.last  # a last frame alone shapes the video itself
        # Under 1 % apart the engine's resize is the fit (640x360 into 1366x768 is no crop).
        if (
            size is None
            or lead is None
            or abs(lead.width * size[1] / (lead.height * size[0]) - 1) < 0.01
        ):
            return frames, ()
        note = (
            f"input image {lead.width}x{lead.height} was cropped (cover, centred) "
            f"to the aspect of the output size {size[0]}x{size[1]}"
        )
        first = frames.first and self._intake.crop_to_aspect(frames.first, size)
        last = frames.last and self._intake.crop_to_aspect(frames.last, size)
        return _Frames(first=first, last=last), (note,)

    def _store_frame(self, task_id: str, name: str, image: LoadedImage | None) -> str | None:
        if image is None:
            return None
        # A random part too: a task id taken by another process in the same millisecond (see
        # _add) must not let one request overwrite the other's frame.
        key = f"inputs/{task_id}/{name}-{secrets.token_hex(4)}.png"
        self._files.put(key, image.png)
        return key

    def _check_callback(self, url: str) -> None:
        if self._webhooks is None:
            return
        challenge = secrets.token_urlsafe(18)
        if not self._webhooks.challenge(url, challenge, self._limits.callback_timeout_s):
            raise CallbackCheckFailed()

    # --- read -----------------------------------------------------------------------------

    def get(self, owner: ApiKey, task_id: str) -> Task:
        task = self._tasks.get(task_id, owner.id) if task_id else None
        if task is None:
            raise NotFound("task", task_id)
        return task

    def list(
        self,
        owner: ApiKey,
        *,
        status: TaskStatus | None,
        limit: int,
        cursor: str | None,
        ascending: bool = False,
    ) -> TaskPage:
        return self._tasks.list(
            owner.id, status=status, limit=limit, cursor=cursor, ascending=ascending
        )

    def count(self, owner: ApiKey) -> int:
        return self._tasks.count(owner.id)

    def queue_position(self, task: Task) -> int | None:
        return self._tasks.queue_position(task.id) if task.status is TaskStatus.QUEUED else None

    def get_file(self, owner: ApiKey | None, file_id: str) -> FileRecord:
        record = self._catalog.get(file_id, owner.id if owner else None) if file_id else None
        if record is None:
            raise NotFound("file", file_id)
        return record

    def cancel(self, owner: ApiKey, task_id: str) -> Task:
        task = self._tasks.request_cancel(task_id, owner.id, self._clock.now())
        if task is None:
            raise NotFound("task", task_id)
        return task

    def delete(self, owner: ApiKey, task_id: str) -> tuple[Task, bool]:
        """Remove an ended task and its files; a queued one is cancelled and removed, a running
        one is asked to cancel and stays (False) until its worker stops."""
        task = self.get(owner, task_id)
        if not task.status.terminal:
            task = self.cancel(owner, task_id)
            if not task.status.terminal:
                return task, False
        for key in self._tasks.delete(task.id, owner.id):
            self._files.delete(key)
        return task, True

    def remix(self, owner: ApiKey, source_id: str, prompt: str, *, dialect: str) -> Task:
        """A new task from ``source_id``'s inputs (model, length, size, frames), a new prompt."""
        source = self.get(owner, source_id)
        request = GenerationRequest(
            model=source.requested_model,
            prompt=prompt,
            prompt_optimizer=source.prompt_optimizer,
            duration=source.duration,
            resolution=source.resolution,
            size=(source.width, source.height),
            first_frame_image=self._read(source.first_frame_key),
            last_frame_image=self._read(source.last_frame_key),
            aigc_watermark=source.aigc_watermark,
            remixed_from=source.id,
            audio=source.audio,
        )
        return self.submit(owner, request, dialect=dialect)

    def _read(self, key: str | None) -> bytes | None:
        if key is None or not self._files.exists(key):
            return None
        with self._files.open(key) as stream:
            return stream.read()

    def eta_seconds(
        self, task: Task, *, queue_position: int | None = None, workers: int = 1
    ) -> float | None:
        """Seconds until ``task`` likely ends: the median of its model's recent runs, scaled by
        the work left (the queue ahead, shared by ``workers``; or the fraction not yet done).

        None once the task has ended, or while its model has no finished run to learn from.
        """
        if task.status.terminal:
            return None
        recent = sorted(self._stats.recent_durations(task.model, 20))
        if not recent:
            return None
        typical = recent[len(recent) // 2]
        if task.status is TaskStatus.QUEUED:
            ahead = queue_position if queue_position is not None else self.queue_position(task)
            return typical * (1 + (ahead or 0) // max(1, workers))
        return typical * (1.0 - task.progress.fraction)
