"""MiniMax V2's ``content[]`` rules (DIALECTS.md §2), on (kind, role) pairs: pure, every
violation at once, each naming the item."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reelserve.domain.catalog import V2_PROMPT_CHARS
from reelserve.domain.errors import Violation

MAX_TEXT_CHARS = V2_PROMPT_CHARS  # the text item; the model's own limit is checked again
ROLES = {
    "image_url": ("first_frame", "last_frame", "reference_image"),
    "video_url": ("reference_video",),
    "audio_url": ("reference_audio",),
}
LIMITS = {"reference_image": 9, "reference_video": 3, "reference_audio": 3}
MAX_REFERENCES = 12
FRAMES = ("first_frame", "last_frame")


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    kind: str  # text | image_url | video_url | audio_url
    role: str | None
    text: str = ""


def _v(field: str, message: str) -> Violation:
    return Violation(field=field, message=f"{field}: {message}")


def roles(items: list[Item]) -> list[str | None]:
    """Each item's role, with the default filled in: a lone image without one is a first frame,
    a video or an audio is a reference."""
    images = [i for i in items if i.kind == "image_url"]
    found: list[str | None] = []
    for item in items:
        if item.role is None and item.kind == "image_url" and len(images) == 1:
            found.append("first_frame")
        elif item.role is None and item.kind in ("video_url", "audio_url"):
            found.append(ROLES[item.kind][0])
        else:
            found.append(item.role)
    return found


def _item_rules(items: list[Item], filled: list[str | None]) -> list[Violation]:
    found = []
    for i, (item, role) in enumerate(zip(items, filled, strict=True)):
        where = f"content[{i}]"
        if item.kind == "text":
            continue
        if item.kind not in ROLES:
            found.append(
                _v(f"{where}.type", f"{item.kind!r} is not text, image_url, video_url or audio_url")
            )
        elif role is None:
            found.append(_v(f"{where}.role", "is required when several images are given"))
        elif role not in ROLES[item.kind]:
            allowed = ", ".join(ROLES[item.kind])
            found.append(
                _v(f"{where}.role", f"{role!r} is not allowed for {item.kind} ({allowed})")
            )
    return found


def _text_rules(items: list[Item]) -> list[Violation]:
    texts = [(i, item) for i, item in enumerate(items) if item.kind == "text"]
    if len(texts) != 1:
        return [_v("content", f"must hold exactly one text item, got {len(texts)}")]
    i, item = texts[0]
    if not item.text.strip():
        return [_v(f"content[{i}].text", "must not be empty")]
    if len(item.text) > MAX_TEXT_CHARS:
        return [_v(f"content[{i}].text", f"{len(item.text)} characters is over {MAX_TEXT_CHARS}")]
    return []


def _count_rules(counts: Counter[str | None]) -> list[Violation]:
    found = [
        _v("content", f"at most one {frame}, got {counts[frame]}")
        for frame in FRAMES
        if counts[frame] > 1
    ]
    found += [
        _v("content", f"at most {limit} {role} items, got {counts[role]}")
        for role, limit in LIMITS.items()
        if counts[role] > limit
    ]
    references = sum(counts[role] for role in LIMITS)
    if references > MAX_REFERENCES:
        found.append(_v("content", f"at most {MAX_REFERENCES} references in all, got {references}"))
    if references and any(counts[f] for f in FRAMES):
        found.append(_v("content", "frame inputs and reference inputs cannot be mixed"))
    if counts["reference_audio"] and not (counts["reference_image"] or counts["reference_video"]):
        found.append(_v("content", "a reference_audio needs a reference_image or reference_video"))
    return found


def validate(items: list[Item]) -> list[Violation]:
    """Every rule the content list breaks (empty when it is valid)."""
    filled = roles(items)
    found = _text_rules(items) + _item_rules(items, filled)
    return found + _count_rules(Counter(r for r in filled if r is not None))
