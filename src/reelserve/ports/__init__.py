"""Ports: Protocols only, one per role, each small enough to fake honestly (reelserve.testing).

Adapters implement them; services depend on them. Value objects live in ``reelserve.domain``.

================ ========================================= ===================================
port             role                                      implementations
================ ========================================= ===================================
TaskQueue        claim (by model), heartbeat, transition,  SqlTaskQueue, MemoryTaskQueue
                 reap
TaskRepository   add, get, list, queue position, cancel,   SqlTaskRepository,
                 idempotency lookup                        MemoryTaskRepository
FileCatalog      the records of stored output files        SqlFileCatalog, MemoryFileCatalog
TaskStats        ETA durations, counts, finished tasks,    SqlTaskStats, MemoryTaskStats
                 delivery outcomes (metrics)
Health           readiness of the backing store            SqlHealth, MemoryHealth
KeyStore         API keys                                  SqlKeyStore, MemoryKeyStore
RateLimiter      requests per minute per key               SqlRateLimiter, MemoryRateLimiter
OutboxStore      callback pushes waiting to be sent        SqlOutbox, MemoryOutbox
CallbackRenderer a dialect's callback body                 MiniMaxV1Callback
FileStore        object storage                            LocalFileStore, S3FileStore,
                                                           MemoryFileStore
ScratchSpace     local folders engines render in           LocalScratch
ImageFetcher     http(s) image bodies                      HttpImageFetcher, MemoryImageFetcher
ImageIntake      decode and check input images             PillowImageIntake
Engine           render a job                              PreviewEngine, DiffusersEngine,
                                                           ScriptedEngine
WebhookSender    challenge and push                        SafeHttpWebhookSender,
                                                           RecordingWebhookSender
Stills           thumbnails and sprite sheets of a video   AvStills
UploadStore      uploaded input files, per key             SqlUploadStore
Clock            the time                                  SystemClock, FrozenClock
Wakeups          wake idle workers (any process)           LocalWakeups, UnixWakeups,
                                                           PostgresWakeups
================ ========================================= ===================================
"""

from reelserve.ports.clock import Clock
from reelserve.ports.engines import CancelCheck, Engine, ProgressCallback
from reelserve.ports.files import FileStore, ScratchSpace, UploadStore
from reelserve.ports.keys import KeyStore, RateLimiter
from reelserve.ports.media import ImageFetcher, ImageIntake, Stills
from reelserve.ports.tasks import FileCatalog, Health, TaskQueue, TaskRepository, TaskStats
from reelserve.ports.wakeups import Wakeups
from reelserve.ports.webhooks import CallbackRenderer, OutboxStore, WebhookSender

__all__ = [
    "CallbackRenderer",
    "CancelCheck",
    "Clock",
    "Engine",
    "FileCatalog",
    "FileStore",
    "Health",
    "ImageFetcher",
    "ImageIntake",
    "KeyStore",
    "OutboxStore",
    "ProgressCallback",
    "RateLimiter",
    "ScratchSpace",
    "Stills",
    "TaskQueue",
    "TaskRepository",
    "TaskStats",
    "UploadStore",
    "Wakeups",
    "WebhookSender",
]
