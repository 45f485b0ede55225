"""The ``[camera]`` directive parser (MINIMAX_API.md §6).

Accepts the 15 official English names, the official Chinese names and the alias spellings the
seeds use (seed 001 kkiai, seed 002 Vtrix), case-insensitively. Several moves inside one bracket
act together (``[Pan left, Pedestal up]``); brackets in sequence split the clip into segments in
prompt order. Bracket text that names no move stays in the prompt and becomes a warning: the
upstream API treats brackets as plain prompt text and never rejects them.

Where a seed's translation collides with an official name, the official name wins: seed 002 calls
左移 "[pan left]", but ``[pan left]`` means Pan left (a rotation) here, as in the official docs.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class CameraMove(enum.StrEnum):
    TRUCK_LEFT = "Truck left"
    TRUCK_RIGHT = "Truck right"
    PAN_LEFT = "Pan left"
    PAN_RIGHT = "Pan right"
    PUSH_IN = "Push in"
    PULL_OUT = "Pull out"
    PEDESTAL_UP = "Pedestal up"
    PEDESTAL_DOWN = "Pedestal down"
    TILT_UP = "Tilt up"
    TILT_DOWN = "Tilt down"
    ZOOM_IN = "Zoom in"
    ZOOM_OUT = "Zoom out"
    SHAKE = "Shake"
    TRACKING_SHOT = "Tracking shot"
    STATIC_SHOT = "Static shot"


_M = CameraMove

CHINESE: dict[str, CameraMove] = {
    "左移": _M.TRUCK_LEFT,
    "右移": _M.TRUCK_RIGHT,
    "左摇": _M.PAN_LEFT,
    "右摇": _M.PAN_RIGHT,
    "推进": _M.PUSH_IN,
    "拉远": _M.PULL_OUT,
    "上升": _M.PEDESTAL_UP,
    "下降": _M.PEDESTAL_DOWN,
    "上摇": _M.TILT_UP,
    "下摇": _M.TILT_DOWN,
    "变焦推近": _M.ZOOM_IN,
    "变焦拉远": _M.ZOOM_OUT,
    "晃动": _M.SHAKE,
    "跟随": _M.TRACKING_SHOT,
    "固定": _M.STATIC_SHOT,
}

# Seed spellings and common synonyms. Keys are lower case with single spaces.
ALIASES: dict[str, CameraMove] = {
    "tilt left": _M.PAN_LEFT,  # seed 002: 左摇 machine-translated
    "tilt right": _M.PAN_RIGHT,
    "pull back": _M.PULL_OUT,  # seed 002
    "push out": _M.PULL_OUT,  # the official English page's own typo
    "rise": _M.PEDESTAL_UP,  # seeds 001, 002
    "lower": _M.PEDESTAL_DOWN,
    "follow": _M.TRACKING_SHOT,
    "tracking": _M.TRACKING_SHOT,
    "static": _M.STATIC_SHOT,
    "fixed": _M.STATIC_SHOT,
    "dolly in": _M.PUSH_IN,
    "dolly out": _M.PULL_OUT,
    "move left": _M.TRUCK_LEFT,
    "move right": _M.TRUCK_RIGHT,
}

_ENGLISH: dict[str, CameraMove] = {move.value.lower(): move for move in CameraMove}
_NAMES: dict[str, CameraMove] = {**ALIASES, **_ENGLISH, **CHINESE}  # official names win

MAX_COMBINED = 3  # "recommended max: 3"; more is a warning, not an error

_BRACKET = re.compile(r"\[([^\[\]]*)\]")
_SEPARATORS = re.compile(r"[,，、;；/]|\s+\+\s+|\s+and\s+|\s*&\s*")


def normalise(name: str) -> str:
    return " ".join(name.strip().lower().split())


def lookup(name: str) -> CameraMove | None:
    return _NAMES.get(normalise(name))


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraSegment:
    """Moves that act together, from one bracket, starting at ``position`` in the prompt."""

    moves: tuple[CameraMove, ...]
    position: int
    source: str  # the bracket as written, e.g. "[Pan left, Pedestal up]"


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraPlan:
    segments: tuple[CameraSegment, ...]
    prompt: str  # the prompt with recognised directives removed and spaces tidied
    warnings: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not self.segments

    @property
    def moves(self) -> tuple[CameraMove, ...]:
        return tuple(m for s in self.segments for m in s.moves)


def parse(prompt: str) -> CameraPlan:
    segments: list[CameraSegment] = []
    warnings: list[str] = []
    kept: list[str] = []
    cursor = 0
    for match in _BRACKET.finditer(prompt):
        kept.append(prompt[cursor : match.start()])
        cursor = match.end()
        items = [item for item in _SEPARATORS.split(match.group(1)) if item.strip()]
        moves = [lookup(item) for item in items]
        known = tuple(dict.fromkeys(m for m in moves if m is not None))
        unknown = [item.strip() for item, m in zip(items, moves, strict=True) if m is None]
        if unknown:
            warnings.append(
                f"prompt: unknown camera directive {', '.join(repr(u) for u in unknown)} in "
                f"{match.group(0)!r} kept as text"
            )
            kept.append(match.group(0) if not known else "[" + ", ".join(unknown) + "]")
        if known:
            if len(known) > MAX_COMBINED:
                warnings.append(
                    f"prompt: {match.group(0)!r} combines {len(known)} camera moves; "
                    f"at most {MAX_COMBINED} are recommended"
                )
            segments.append(
                CameraSegment(moves=known, position=match.start(), source=match.group(0))
            )
    kept.append(prompt[cursor:])
    clean = re.sub(r"\s+([,.;:!?，。])", r"\1", " ".join("".join(kept).split()))
    return CameraPlan(segments=tuple(segments), prompt=clean, warnings=tuple(warnings))


_PLAIN_WORDS: dict[CameraMove, str] = {
    _M.TRUCK_LEFT: "the camera moves left",
    _M.TRUCK_RIGHT: "the camera moves right",
    _M.PAN_LEFT: "the camera pans left",
    _M.PAN_RIGHT: "the camera pans right",
    _M.PUSH_IN: "the camera slowly pushes in",
    _M.PULL_OUT: "the camera pulls out",
    _M.PEDESTAL_UP: "the camera rises",
    _M.PEDESTAL_DOWN: "the camera lowers",
    _M.TILT_UP: "the camera tilts up",
    _M.TILT_DOWN: "the camera tilts down",
    _M.ZOOM_IN: "the camera zooms in",
    _M.ZOOM_OUT: "the camera zooms out",
    _M.SHAKE: "the camera shakes",
    _M.TRACKING_SHOT: "the camera follows the subject",
    _M.STATIC_SHOT: "the camera holds still",
}


def describe(plan: CameraPlan) -> str:
    """The plan in plain camera language: "the camera slowly pushes in, then pans left"."""
    parts = []
    for segment in plan.segments:
        words = [_PLAIN_WORDS[m] for m in segment.moves]
        joined = words[0] + "".join(" while " + w.removeprefix("the camera ") for w in words[1:])
        parts.append(joined)
    return ", then ".join(
        p if i == 0 else p.removeprefix("the camera ") for i, p in enumerate(parts)
    )
