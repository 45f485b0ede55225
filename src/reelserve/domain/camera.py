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
import math
import re
from dataclasses import dataclass
from typing import ClassVar

from reelserve.domain.errors import Violation


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


_PUNCTUATION = tuple(",.;:!?，。、；：！？")


class _Rebuilt:
    """The prompt rebuilt piece by piece; text the client wrote is kept exactly as written.

    Where a directive was cut out, the spaces around the cut become one space, or none before
    punctuation, so "a book [Pedestal up], then" reads "a book, then" and "走路[推进]，" "走路，".
    """

    def __init__(self) -> None:
        self.text = ""
        self.after_cut = False

    def cut(self) -> None:
        self.after_cut = True

    def add(self, piece: str) -> None:
        if not self.after_cut or not piece.strip():
            self.text += piece  # spaces after a cut wait for the next word
            return
        left, right = self.text.rstrip(), piece.lstrip()
        spaced = left != self.text or right != piece
        gap = " " if spaced and left and not right.startswith(_PUNCTUATION) else ""
        self.text = left + gap + right
        self.after_cut = False


def _read_bracket(inner: str) -> tuple[tuple[CameraMove, ...], list[str]]:
    """The distinct known moves of one bracket, in order, and the items that name none."""
    items = [item.strip() for item in _SEPARATORS.split(inner) if item.strip()]
    moves = [lookup(item) for item in items]
    known = tuple(dict.fromkeys(m for m in moves if m is not None))
    return known, [item for item, m in zip(items, moves, strict=True) if m is None]


def parse(prompt: str) -> CameraPlan:
    segments: list[CameraSegment] = []
    warnings: list[str] = []
    rebuilt = _Rebuilt()
    cursor = 0
    for match in _BRACKET.finditer(prompt):
        rebuilt.add(prompt[cursor : match.start()])
        cursor = match.end()
        source = match.group(0)
        known, unknown = _read_bracket(match.group(1))
        if unknown:
            warnings.append(
                f"prompt: unknown camera directive {', '.join(repr(u) for u in unknown)} in "
                f"{source!r} kept as text"
            )
        if not known:  # plain text, "[]" included
            rebuilt.add(source)
            continue
        if unknown:  # only the part that names no move stays
            rebuilt.add("[" + ", ".join(unknown) + "]")
        else:
            rebuilt.cut()
        if len(known) > MAX_COMBINED:
            warnings.append(
                f"prompt: {source!r} combines {len(known)} camera moves; "
                f"at most {MAX_COMBINED} are recommended"
            )
        segments.append(CameraSegment(moves=known, position=match.start(), source=source))
    rebuilt.add(prompt[cursor:])
    text = rebuilt.text.strip()
    if segments:
        text = _drop_dangling(text, prompt, segments)
    return CameraPlan(segments=tuple(segments), prompt=text, warnings=tuple(warnings))


# "then" / "and" / 然后 that only joined a cut directive to the text: "A lighthouse at dusk, then
# [Pan left]" describes the scene as "A lighthouse at dusk", not "A lighthouse at dusk, then".
_CONNECTOR = r"(?:and\s+then|then|and|after\s+that|然后|接着|再)"
_TRAILING = re.compile(rf"[\s,，;；、]*\b{_CONNECTOR}\s*(?P<end>[.。!！?？]?)$", re.IGNORECASE)
_LEADING = re.compile(rf"^{_CONNECTOR}\b[\s,，;；、]*", re.IGNORECASE)
_ONLY_PUNCTUATION = re.compile(r"[\s.。!！?？]*")


def _drop_dangling(text: str, prompt: str, segments: list[CameraSegment]) -> str:
    last, first = segments[-1], segments[0]
    if _ONLY_PUNCTUATION.fullmatch(prompt, last.position + len(last.source)):
        while (shorter := _TRAILING.sub(lambda m: m.group("end"), text, count=1)) != text:
            text = shorter
    if not prompt[: first.position].strip():
        text = _LEADING.sub("", text, count=1)
    return text.strip()


# Each move as the first verb of a clause and as a gerund joined to it by "while", so that moves
# acting together read as English: "the camera pans left while rising and zooming in".
_PLAIN_WORDS: dict[CameraMove, tuple[str, str]] = {
    _M.TRUCK_LEFT: ("moves left", "moving left"),
    _M.TRUCK_RIGHT: ("moves right", "moving right"),
    _M.PAN_LEFT: ("pans left", "panning left"),
    _M.PAN_RIGHT: ("pans right", "panning right"),
    _M.PUSH_IN: ("slowly pushes in", "slowly pushing in"),
    _M.PULL_OUT: ("pulls out", "pulling out"),
    _M.PEDESTAL_UP: ("rises", "rising"),
    _M.PEDESTAL_DOWN: ("descends", "descending"),
    _M.TILT_UP: ("tilts up", "tilting up"),
    _M.TILT_DOWN: ("tilts down", "tilting down"),
    _M.ZOOM_IN: ("zooms in", "zooming in"),
    _M.ZOOM_OUT: ("zooms out", "zooming out"),
    _M.SHAKE: ("shakes", "shaking"),
    _M.TRACKING_SHOT: ("follows the subject", "following the subject"),
    _M.STATIC_SHOT: ("holds still", "holding still"),
}


def describe(plan: CameraPlan) -> str:
    """The plan in plain camera language: "the camera slowly pushes in, then pans left".

    Moves of one bracket act together ("pans left while rising and zooming in"); brackets in
    sequence are joined by "then". An empty plan describes as "".
    """
    clauses = []
    for segment in plan.segments:
        first, *others = segment.moves
        clause = _PLAIN_WORDS[first][0]
        if others:
            clause += " while " + " and ".join(_PLAIN_WORDS[m][1] for m in others)
        clauses.append(clause)
    return ("the camera " + ", then ".join(clauses)) if clauses else ""


# How much one segment of each move enlarges the picture (below 1: shrinks it); the renderer
# draws with these, and the plan bound below adds them up.
DOLLY = 1.30  # push in: magnification after one segment (pull out: its inverse)
ZOOM = 1.40  # zoom in (zoom out: its inverse)
TRACKING_PUSH = 1.06  # the slight push of a tracking shot
SEGMENT_MAGNIFICATION: dict[CameraMove, float] = {
    _M.PUSH_IN: DOLLY,
    _M.PULL_OUT: 1 / DOLLY,
    _M.ZOOM_IN: ZOOM,
    _M.ZOOM_OUT: 1 / ZOOM,
    _M.TRACKING_SHOT: TRACKING_PUSH,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanLimits:
    """How far a camera plan may go: brackets in sequence, and the ratio between the most and
    the least magnified view of the clip (a pull out counts as much as a push in)."""

    max_segments: int = 12
    max_magnification: float = 16.0

    DEFAULT: ClassVar[PlanLimits]


PlanLimits.DEFAULT = PlanLimits()


def magnification_range(plan: CameraPlan) -> float:
    """The most magnified view of the clip over the least (>= 1), segment by segment."""
    level = low = high = 0.0  # log magnification, starting from the picture as given
    for segment in plan.segments:
        level += sum(math.log(SEGMENT_MAGNIFICATION.get(m, 1.0)) for m in segment.moves)
        low, high = min(low, level), max(high, level)
    return math.exp(high - low)


def plan_violations(plan: CameraPlan, limits: PlanLimits) -> list[Violation]:
    """The plan's breaches of ``limits``, as one violation of the prompt (none when it keeps
    them): each move multiplies the work of drawing a frame, so a prompt of 45 ``[Push in]`` is
    refused here rather than rendered."""
    count, scale = len(plan.segments), magnification_range(plan)
    breaches = [
        f"{count} camera directives in sequence; at most {limits.max_segments} are allowed"
        if count > limits.max_segments
        else "",
        f"the camera directives magnify the picture {scale:.4g} times; "
        f"at most {limits.max_magnification:g} times is allowed"
        if scale > limits.max_magnification
        else "",
    ]
    found = "; ".join(b for b in breaches if b)
    return [Violation(field="prompt", message=f"prompt: {found}")] if found else []
