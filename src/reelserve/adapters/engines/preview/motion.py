"""The camera plan as one 3x3 homography per frame (MINIMAX_API.md §6, all 15 moves).

Coordinates are output pixels measured from the frame centre. Each frame's matrix ``F`` maps a
point of the content (the still image) to where the viewer sees it, so directions are the
viewer's: Pan left / Truck left move the content to the right of the frame, Tilt up / Pedestal up
move it down, Push in / Zoom in enlarge it about the centre.

How the moves differ in 2D, with one flat image and no depth:

- truck / pedestal: the camera slides, the picture plane slides with it: a pure translation.
- pan / tilt: the camera rotates about its centre: the exact rotation homography ``K R K^-1``, so
  the content slides and the far side of the frame is slightly foreshortened (keystone).
- push in / pull out (dolly): the camera travels along its axis towards the picture plane. With one
  flat picture facing the camera this is a scale about the centre, but it grows as a real move
  does: at distance ``D`` after travelling ``d`` the picture is ``D / (D - d)`` times larger, so a
  steady push in gathers pace as the camera closes in (and a pull out slows down).
- zoom in / out: the focal length changes: a scale about the centre whose logarithm changes
  evenly, so the picture appears to grow at a steady rate.

Both stay axis-aligned (scale and shift only), which the renderer draws with separable resizes,
several times cheaper than a general warp; pan, tilt, shake and their combinations take the
general perspective warp. (A ground-plane dolly, whose lower rows grow faster, was tried: it needs
the general warp, 2.5-3x the cost per frame, which made the most common move the slowest.)
- shake: seeded handheld noise (sums of sines with random phases), translation and roll.
- tracking shot: following a subject walking right: a lateral glide, a slight push and a gait bob.

Brackets in sequence split the clip into equal time parts; the moves of one bracket act
together. The camera keeps where a segment left it, so ``[Push in], then [Pan left]`` pans the
pushed-in view. Every move eases in and out (a raised-cosine ramp), so starts and stops are
gentle.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reelserve.domain.camera import DOLLY, TRACKING_PUSH, ZOOM, CameraMove, CameraPlan

Matrix = npt.NDArray[np.float64]

SLIDE = 0.14  # truck / pedestal: fraction of the frame the content travels in one segment
TURN = 0.14  # pan / tilt: the same travel at the centre, made by a rotation
FOCAL = 1.1  # focal length in frame widths (about 49 degrees across)
DEFAULT_PUSH = 1.06  # an empty plan: a slow push in, so a still image still feels alive
SHAKE_SHIFT = 0.012  # handheld amplitude, fraction of the frame's short side
SHAKE_ROLL = math.radians(0.6)


def ease(p: float) -> float:
    """Raised cosine: zero speed at both ends."""
    p = min(1.0, max(0.0, p))
    return 0.5 - 0.5 * math.cos(math.pi * p)


@dataclass(slots=True)
class _State:
    """The camera's accumulated state; each move adds to it."""

    tx: float = 0.0  # content shift, pixels (right is positive)
    ty: float = 0.0  # content shift, pixels (down is positive)
    yaw: float = 0.0  # radians; positive moves content right
    pitch: float = 0.0  # radians; positive moves content down
    roll: float = 0.0
    dolly: float = 0.0  # log magnification by moving the camera
    zoom: float = 0.0  # log magnification by focal length


class CameraPath:
    """Per-frame content→view homographies for a plan, frame size and clip length."""

    def __init__(
        self, plan: CameraPlan, *, width: int, height: int, frame_count: int, fps: int, seed: int
    ) -> None:
        self.width = width
        self.height = height
        self.frame_count = frame_count
        self.fps = fps
        self.focal = FOCAL * width
        segments = [s.moves for s in plan.segments]
        self._segments: list[tuple[CameraMove, ...]] = segments or [()]
        self._default = not segments
        self._shake = _Shake(seed)

    def time(self, index: int) -> float:
        return index / (self.frame_count - 1) if self.frame_count > 1 else 0.0

    def forward(self, index: int) -> Matrix:
        """The content→view homography of frame ``index`` (centred output pixels)."""
        t = self.time(index)
        state = _State()
        count = len(self._segments)
        for k, moves in enumerate(self._segments):
            local = (t - k / count) * count
            if local <= 0.0:
                break
            for move in moves:
                self._apply(state, move, local)
        if self._default:
            state.dolly += math.log(DEFAULT_PUSH) * ease(t)
        return self._compose(state)

    def _apply(self, state: _State, move: CameraMove, local: float) -> None:
        p = ease(local)
        w, h = self.width, self.height
        slide_x, slide_y = SLIDE * w * p, SLIDE * h * p
        turn_x = math.atan(TURN * w / self.focal) * p
        turn_y = math.atan(TURN * h / self.focal) * p
        m = CameraMove
        match move:
            case m.TRUCK_LEFT | m.TRUCK_RIGHT:
                state.tx += slide_x if move is m.TRUCK_LEFT else -slide_x
            case m.PEDESTAL_UP | m.PEDESTAL_DOWN:
                state.ty += slide_y if move is m.PEDESTAL_UP else -slide_y
            case m.PAN_LEFT | m.PAN_RIGHT:
                state.yaw += turn_x if move is m.PAN_LEFT else -turn_x
            case m.TILT_UP | m.TILT_DOWN:
                state.pitch += turn_y if move is m.TILT_UP else -turn_y
            case m.PUSH_IN:
                state.dolly -= math.log(1.0 - p * (1.0 - 1.0 / DOLLY))  # D / (D - d)
            case m.PULL_OUT:
                state.dolly -= math.log(1.0 + p * (DOLLY - 1.0))  # D / (D + d)
            case m.ZOOM_IN | m.ZOOM_OUT:
                state.zoom += math.log(ZOOM) * (p if move is m.ZOOM_IN else -p)
            case m.SHAKE:
                self._shake.apply(state, local, self.time_seconds(local), min(w, h))
            case m.TRACKING_SHOT:
                state.tx -= 0.10 * w * p  # the subject walks right; the world slides left
                state.dolly += math.log(TRACKING_PUSH) * p
                bob = math.sin(2 * math.pi * 1.8 * self.time_seconds(local))
                state.ty += 0.004 * h * bob * _envelope(local)
            case m.STATIC_SHOT:
                pass

    def time_seconds(self, local: float) -> float:
        """Seconds since the start of the segment, from its local progress."""
        seconds_per_segment = (self.frame_count - 1) / self.fps / len(self._segments)
        return min(local, 1.0) * seconds_per_segment

    def _compose(self, s: _State) -> Matrix:
        f = self.focal
        k = np.array([[f, 0, 0], [0, f, 0], [0, 0, 1]], dtype=np.float64)
        k_inv = np.linalg.inv(k)
        rotation = _rotation(s.yaw, s.pitch, s.roll)
        turn = k @ rotation @ k_inv
        scale = math.exp(s.zoom + s.dolly)
        zoom = np.diag([scale, scale, 1.0])
        shift = np.array([[1, 0, s.tx], [0, 1, s.ty], [0, 0, 1]], dtype=np.float64)
        matrix: Matrix = shift @ zoom @ turn
        normalised: Matrix = matrix / matrix[2, 2]
        return normalised


def _rotation(yaw: float, pitch: float, roll: float) -> Matrix:
    """How content moves when the camera turns: a positive yaw slides it right, a positive pitch
    slides it down (the camera turned left / up)."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cr, sr = math.cos(roll), math.sin(roll)
    about_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    about_x = np.array([[1, 0, 0], [0, cp, sp], [0, -sp, cp]])
    about_z = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    result: Matrix = about_z @ about_x @ about_y
    return result


def _envelope(local: float) -> float:
    """1 inside the segment, easing to 0 over its first and last tenth."""
    return ease(min(local, 1.0) / 0.1) * ease((1.0 - min(local, 1.0)) / 0.1) if local < 1 else 0.0


class _Shake:
    """Deterministic handheld noise: three sines per axis with seeded frequencies and phases."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        self._waves = [
            [
                (rng.uniform(0.7, 3.2), rng.uniform(0, 2 * math.pi), rng.uniform(0.5, 1.0))
                for _ in range(3)
            ]
            for _ in range(3)
        ]

    def _noise(self, axis: int, seconds: float) -> float:
        waves = self._waves[axis]
        total = sum(a * math.sin(2 * math.pi * f * seconds + ph) for f, ph, a in waves)
        return total / sum(a for _, _, a in waves)

    def apply(self, state: _State, local: float, seconds: float, short_side: int) -> None:
        strength = _envelope(local)
        state.tx += SHAKE_SHIFT * short_side * strength * self._noise(0, seconds)
        state.ty += SHAKE_SHIFT * short_side * strength * self._noise(1, seconds)
        state.roll += SHAKE_ROLL * strength * self._noise(2, seconds)


def apply_points(matrix: Matrix, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Apply a homography to ``(n, 2)`` points."""
    ones = np.ones((points.shape[0], 1))
    mapped = np.hstack([points, ones]) @ matrix.T
    result: npt.NDArray[np.float64] = mapped[:, :2] / mapped[:, 2:3]
    return result


def frame_cover(path: CameraPath, index: int) -> float:
    """The smallest magnification of the still (>= 1) that keeps frame ``index`` filled: each
    output corner, mapped back into the content, must land inside the picture."""
    half_w, half_h = path.width / 2, path.height / 2
    corners = np.array([[-half_w, -half_h], [half_w, -half_h], [half_w, half_h], [-half_w, half_h]])
    seen = apply_points(inverse(path.forward(index)), corners)
    return max(
        1.0,
        float(np.max(np.abs(seen[:, 0]) / half_w)),
        float(np.max(np.abs(seen[:, 1]) / half_h)),
    )


def cover_zoom(path: CameraPath) -> float:
    """One magnification of the still that keeps every frame of the path filled."""
    return max(frame_cover(path, index) for index in range(path.frame_count))


def inverse(matrix: Matrix) -> Matrix:
    result: Matrix = np.linalg.inv(matrix).astype(np.float64)
    return result


def magnification(matrix: Matrix) -> float:
    """How much the matrix enlarges content near the centre."""
    return math.sqrt(abs(float(np.linalg.det(matrix[:2, :2]))))
