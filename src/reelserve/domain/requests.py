"""The create request as the domain sees it, after the wire schema parsed it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Mode(enum.StrEnum):
    """Generation mode, inferred from which fields a request carries (MINIMAX_API.md §2.1)."""

    T2V = "t2v"  # text only
    I2V = "i2v"  # first frame
    FL2V = "fl2v"  # first and last frame
    S2V = "s2v"  # subject reference

    @property
    def uses_images(self) -> bool:
        return self is not Mode.T2V


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectReference:
    type: str
    images: tuple[str, ...]


ImageSource = str | bytes  # an http(s) or data URL, or the file's bytes (a multipart upload)


class ReferenceKind(enum.StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaReference:
    """A reference input (MiniMax V2's reference_image/video/audio): guides, is not a frame."""

    kind: ReferenceKind
    source: ImageSource


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationRequest:
    """Exactly what the client asked for; ``None`` means the field was absent.

    ``size`` is an exact output (width, height) (OpenAI's ``size``); without it the output size
    follows ``resolution`` and the first frame (geometry.output_size). ``notes`` are warnings the
    dialect adds while translating (they reach the task's warnings).
    """

    model: str
    prompt: str | None = None
    prompt_optimizer: bool = True
    fast_pretreatment: bool = False
    duration: int | None = None
    resolution: str | None = None
    first_frame_image: ImageSource | None = None
    last_frame_image: ImageSource | None = None
    subject_reference: tuple[SubjectReference, ...] | None = None
    callback_url: str | None = None
    aigc_watermark: bool = False
    extra: dict[str, object] = field(default_factory=dict)
    size: tuple[int, int] | None = None
    references: tuple[MediaReference, ...] = ()
    notes: tuple[str, ...] = ()
    remixed_from: str | None = None  # the task whose inputs this one reuses (OpenAI remix)
    audio: bool = True  # False: drop the soundtrack an engine would make (the wire's "audio")


def detect_mode(request: GenerationRequest) -> Mode:
    """subject_reference → S2V; else last frame → FL2V; else first frame → I2V; else T2V."""
    if request.subject_reference is not None:
        return Mode.S2V
    if request.last_frame_image is not None:
        return Mode.FL2V
    if request.first_frame_image is not None:
        return Mode.I2V
    return Mode.T2V
