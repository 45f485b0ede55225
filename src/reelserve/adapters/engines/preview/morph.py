"""First → last frame: global motion, then a flow-guided morph of the rest, else a cross-fade.

When the last frame is the first one zoomed, shifted or turned (a camera move between them), dense
flow alone fails on the large displacements and the fallback cross-fade shows double images (two
suns, two houses). So the global motion comes first: ORB features matched between the two images
and a similarity (scale, rotation, shift) fitted with RANSAC. Frame ``t`` is seen through the
fraction ``t`` of that motion (its matrix power: a zoom by ``s`` about a point is at ``s ** t``
half-way), and dense flow only has to explain what remains. ``global_motion`` is the estimate.

Dense optical flow (OpenCV DIS) is measured both ways between the two images at a reduced size.
Frame ``t`` warps the first image forward along ``t`` of the first→last flow and the last image
back along ``1 - t`` of the last→first flow, and blends the two with weights ``1 - t`` and ``t``
(bidirectional warping). At ``t = 0`` the output is exactly the first image and at ``t = 1``
exactly the last, so the clip starts and ends on the given frames.

Where the flow is not trusted — a forward/backward consistency check fails (occlusions, new
content) — it is faded to zero, which there turns the morph into a plain cross-fade. When the two
images share no structure at all (following the flow explains the last image no better than the
first image itself does), the whole clip is a cross-fade.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from reelserve.adapters.engines.preview.frames import U8, Planes
from reelserve.adapters.engines.preview.motion import Matrix

F32 = npt.NDArray[np.float32]
FLOW_SIDE = 640  # long side of the images the flow is measured on
CONSISTENCY_PX = 2.0  # forward/backward disagreement (at flow size) where trust falls to 1/e
MIN_GAIN = 0.10  # the flow must explain at least this much more of the last image than nothing
MIN_INLIERS = 24  # matched features that agree on one global motion
MAX_GLOBAL_SCALE = 4.0  # a larger zoom between the two frames is taken for a mismatch
_EDGE = cv2.BORDER_REPLICATE


@dataclass(frozen=True, slots=True)
class MorphReport:
    uses_flow: bool  # a global motion or a trusted flow: not a cross-fade
    plain_error: float  # mean |last - first|, grey levels, at flow size (after the motion)
    flow_error: float  # mean |last - first warped by the flow|
    trusted: float  # fraction of pixels whose flow passed the consistency check
    motion: Matrix | None = None  # the global similarity first → last, flow-size pixels


def _flow(a: U8, b: U8) -> F32:
    dis = cv2.DISOpticalFlow.create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flow = np.zeros((*a.shape, 2), dtype=np.float32)
    return dis.calc(a, b, flow).astype(np.float32, copy=False)


def _grid(width: int, height: int) -> tuple[F32, F32]:
    xs, ys = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return xs, ys


def _sample(flow: F32, at_x: F32, at_y: F32) -> F32:
    sampled = cv2.remap(flow, at_x, at_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return sampled.astype(np.float32, copy=False)


def global_motion(a: U8, b: U8) -> Matrix | None:
    """The similarity ``G`` (3x3, pixels of these images) with ``b(G p) ~ a(p)``: ORB features,
    cross-checked matches, RANSAC. None when the images share too few features, or ``G`` is
    implausible for a camera move between two frames."""
    # small patches and a low corner threshold: frames are at most 640 px and often soft
    orb = cv2.ORB.create(nfeatures=1500, fastThreshold=5, edgeThreshold=15, patchSize=15)
    points_a, described_a = orb.detectAndCompute(a, None)
    points_b, described_b = orb.detectAndCompute(b, None)
    if described_a is None or described_b is None:
        return None
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(described_a, described_b)
    if len(matches) < MIN_INLIERS:
        return None
    src = np.array([points_a[m.queryIdx].pt for m in matches], dtype=np.float32)
    dst = np.array([points_b[m.trainIdx].pt for m in matches], dtype=np.float32)
    fitted, inliers = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0, maxIters=4000, confidence=0.999
    )
    if fitted is None or int(inliers.sum()) < max(MIN_INLIERS, 0.25 * len(matches)):
        return None
    matrix: Matrix = np.vstack([fitted, [0.0, 0.0, 1.0]]).astype(np.float64)
    scale = math.sqrt(abs(float(np.linalg.det(matrix[:2, :2]))))
    return matrix if 1 / MAX_GLOBAL_SCALE <= scale <= MAX_GLOBAL_SCALE else None


def similarity_power(matrix: Matrix, t: float) -> Matrix:
    """``matrix ** t`` for a similarity: scale ``s ** t`` and angle ``t θ`` about the same fixed
    point (a pure shift: ``t`` of it). ``t = 0`` is the identity, ``t = 1`` the matrix itself."""
    linear, shift = matrix[:2, :2], matrix[:2, 2]
    scale = math.sqrt(abs(float(np.linalg.det(linear))))
    angle = math.atan2(linear[1, 0], linear[0, 0])
    cos, sin = math.cos(angle * t), math.sin(angle * t)
    part = scale**t * np.array([[cos, -sin], [sin, cos]])
    rest = np.eye(2) - linear
    if np.abs(rest).max() < 1e-9:  # no scale, no turn: a shift
        moved = t * shift
    else:  # the fixed point c = (I - M)^-1 d stays put: d_t = (I - M_t) c
        moved = (np.eye(2) - part) @ np.linalg.solve(rest, shift)
    result: Matrix = np.eye(3)
    result[:2, :2], result[:2, 2] = part, moved
    return result


def _flow_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, FLOW_SIDE / max(width, height))
    return max(8, round(width * scale)), max(8, round(height * scale))


def measure(first: U8, last: U8) -> tuple[F32, F32, MorphReport]:
    """Flows first→last and last→first (at flow size, in flow-size pixels), trust folded in,
    between the first image moved by the global motion (``report.motion``) and the last."""
    size = _flow_size(first.shape[1], first.shape[0])
    a: U8 = cv2.resize(first, size, interpolation=cv2.INTER_AREA).astype(np.uint8, copy=False)
    b: U8 = cv2.resize(last, size, interpolation=cv2.INTER_AREA).astype(np.uint8, copy=False)
    motion = global_motion(a, b)
    if motion is not None:
        moved = cv2.warpAffine(a, motion[:2], size, flags=cv2.INTER_LINEAR, borderMode=_EDGE)
        if _error(moved, b) < _error(a, b) * (1.0 - MIN_GAIN):
            a = moved.astype(np.uint8, copy=False)
        else:
            motion = None  # the fit explains nothing: leave it to the flow
    forward, backward, report = _residual(a, b, size)
    report = replace(report, motion=motion, uses_flow=report.uses_flow or motion is not None)
    return forward, backward, report


def _error(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> float:
    return float(np.mean(np.abs(a.astype(np.float32) - b)))


def _residual(a: U8, b: U8, size: tuple[int, int]) -> tuple[F32, F32, MorphReport]:
    """The dense flows between ``a`` and ``b``, zero where (or when) they are not trusted."""
    forward, backward = _flow(a, b), _flow(b, a)
    xs, ys = _grid(*size)
    # a pixel of A goes to x + f(x); coming back from there must return to x
    round_trip_a = forward + _sample(backward, xs + forward[..., 0], ys + forward[..., 1])
    round_trip_b = backward + _sample(forward, xs + backward[..., 0], ys + backward[..., 1])
    trust_a = np.exp(-np.sum(round_trip_a**2, axis=2) / CONSISTENCY_PX**2).astype(np.float32)
    trust_b = np.exp(-np.sum(round_trip_b**2, axis=2) / CONSISTENCY_PX**2).astype(np.float32)
    blur = max(3, (size[0] // 40) | 1)
    trust_a = cv2.GaussianBlur(trust_a, (blur, blur), 0)
    trust_b = cv2.GaussianBlur(trust_b, (blur, blur), 0)
    predicted = cv2.remap(
        a,
        xs + backward[..., 0],
        ys + backward[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    plain, followed = _error(a, b), _error(predicted, b)
    trusted = float(np.mean(trust_b > 0.5))
    uses_flow = plain > 0.5 and followed <= plain * (1.0 - MIN_GAIN) and trusted > 0.25
    report = MorphReport(
        uses_flow=uses_flow, plain_error=plain, flow_error=followed, trusted=trusted
    )
    if not uses_flow:
        zero = np.zeros_like(forward)
        return zero, zero.copy(), report
    return forward * trust_a[..., None], backward * trust_b[..., None], report


class _PlaneMorph:
    """Per-plane warping state: full-size displacement fields and reusable map buffers."""

    def __init__(
        self, first: U8, last: U8, forward: F32, backward: F32, motion: Matrix | None
    ) -> None:
        height, width = first.shape
        fh, fw = forward.shape[:2]
        sx, sy = width / fw, height / fh
        # flow-size pixel -> this plane's pixel (pixel centres: p = (q + 0.5) s - 0.5)
        to_plane = np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1]])
        self.motion = None if motion is None else to_plane @ motion @ np.linalg.inv(to_plane)

        def upscale(flow: F32, index: int, factor: float) -> F32:
            resized = cv2.resize(flow[..., index], (width, height), interpolation=cv2.INTER_LINEAR)
            return np.ascontiguousarray(resized * factor, dtype=np.float32)

        self.first, self.last = first, last
        self.fx, self.fy = upscale(forward, 0, sx), upscale(forward, 1, sy)
        self.bx, self.by = upscale(backward, 0, sx), upscale(backward, 1, sy)
        self.gx, self.gy = _grid(width, height)
        self._scratch = threading.local()  # map and warp buffers, one set per rendering thread

    def _buffers(self) -> _Scratch:
        scratch: _Scratch | None = getattr(self._scratch, "buffers", None)
        if scratch is None:
            scratch = _Scratch(
                map_x=np.empty_like(self.gx),
                map_y=np.empty_like(self.gy),
                warped_a=np.empty_like(self.first),
                warped_b=np.empty_like(self.last),
            )
            self._scratch.buffers = scratch
        return scratch

    def render(self, t: float, target: U8) -> None:
        s = self._buffers()
        if self.motion is None:
            self._pull(self.first, self.fx, self.fy, -t, s, s.warped_a)  # forward along t
            self._pull(self.last, self.bx, self.by, t - 1.0, s, s.warped_b)  # back along 1 - t
        else:
            self._moved(t, s)
        cv2.addWeighted(s.warped_a, 1.0 - t, s.warped_b, t, 0.0, dst=target)

    def _moved(self, t: float, s: _Scratch) -> None:
        """The same morph seen through ``t`` of the global motion: output pixel ``p`` is at
        ``q = G^(1-t) p`` in the last image's frame, where the residual flows live; the first
        image is reached from there through ``G^-1``."""
        assert self.motion is not None
        qx, qy = _affine(similarity_power(self.motion, 1.0 - t), self.gx, self.gy)

        def at_q(field: F32) -> F32:
            return _sample(field, qx, qy)

        back: Matrix = np.linalg.inv(self.motion).astype(np.float64)
        ax, ay = _affine(back, qx - t * at_q(self.fx), qy - t * at_q(self.fy))
        _remap(self.first, ax, ay, s.warped_a)
        _remap(
            self.last, qx + (t - 1.0) * at_q(self.bx), qy + (t - 1.0) * at_q(self.by), s.warped_b
        )

    def _pull(
        self, image: U8, flow_x: F32, flow_y: F32, amount: float, s: _Scratch, dst: U8
    ) -> None:
        """``dst(p) = image(p + amount * flow(p))``, bilinear."""
        cv2.scaleAdd(flow_x, amount, self.gx, dst=s.map_x)
        cv2.scaleAdd(flow_y, amount, self.gy, dst=s.map_y)
        cv2.remap(
            image, s.map_x, s.map_y, cv2.INTER_LINEAR, dst=dst, borderMode=cv2.BORDER_REPLICATE
        )


def _affine(matrix: Matrix, xs: F32, ys: F32) -> tuple[F32, F32]:
    """The affine ``matrix`` applied to every point (xs, ys)."""
    a, b, c = (float(v) for v in matrix[0])
    d, e, f = (float(v) for v in matrix[1])
    return (a * xs + b * ys + c).astype(np.float32), (d * xs + e * ys + f).astype(np.float32)


def _remap(image: U8, map_x: F32, map_y: F32, dst: U8) -> None:
    cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, dst=dst, borderMode=_EDGE)


@dataclass(frozen=True, slots=True)
class _Scratch:
    map_x: F32
    map_y: F32
    warped_a: U8
    warped_b: U8


class Morph:
    """Renders frame ``t`` in [0, 1] of the first → last transition into I420 planes."""

    def __init__(self, first: Planes, last: Planes) -> None:
        forward, backward, self.report = measure(first.y, last.y)
        self._planes = [
            _PlaneMorph(a, b, forward, backward, self.report.motion)
            for a, b in ((first.y, last.y), (first.u, last.u), (first.v, last.v))
        ]
        self._first, self._last = first, last

    def render(self, t: float, target: Planes) -> None:
        if t <= 0.0 or t >= 1.0:  # exact end frames, no resampling at all
            source = self._first if t <= 0.0 else self._last
            for src, dst in zip(
                (source.y, source.u, source.v), (target.y, target.u, target.v), strict=True
            ):
                np.copyto(dst, src)
            return
        for plane, dst in zip(self._planes, (target.y, target.u, target.v), strict=True):
            plane.render(t, dst)
