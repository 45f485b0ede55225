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


@dataclass(frozen=True, slots=True, kw_only=True)
class GenerationRequest:
    """Exactly what the client asked for; ``None`` means the field was absent."""

    model: str
    prompt: str | None = None
    prompt_optimizer: bool = True
    fast_pretreatment: bool = False
    duration: int | None = None
    resolution: str | None = None
    first_frame_image: str | None = None
    last_frame_image: str | None = None
    subject_reference: tuple[SubjectReference, ...] | None = None
    callback_url: str | None = None
    aigc_watermark: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def detect_mode(request: GenerationRequest) -> Mode:
    """subject_reference → S2V; else last frame → FL2V; else first frame → I2V; else T2V."""
    if request.subject_reference is not None:
        return Mode.S2V
    if request.last_frame_image is not None:
        return Mode.FL2V
    if request.first_frame_image is not None:
        return Mode.I2V
    return Mode.T2V
