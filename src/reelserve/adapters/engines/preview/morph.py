"""First → last frame: a flow-guided morph, falling back to a cross-fade.

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

import threading
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from reelserve.adapters.engines.preview.frames import U8, Planes

F32 = npt.NDArray[np.float32]
FLOW_SIDE = 640  # long side of the images the flow is measured on
CONSISTENCY_PX = 2.0  # forward/backward disagreement (at flow size) where trust falls to 1/e
MIN_GAIN = 0.10  # the flow must explain at least this much more of the last image than nothing


@dataclass(frozen=True, slots=True)
class MorphReport:
    uses_flow: bool
    plain_error: float  # mean |last - first|, grey levels, at flow size
    flow_error: float  # mean |last - first warped by the flow|
    trusted: float  # fraction of pixels whose flow passed the consistency check


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


def measure(first: U8, last: U8) -> tuple[F32, F32, MorphReport]:
    """Flows first→last and last→first (at flow size, in flow-size pixels), trust folded in."""
    height, width = first.shape
    scale = min(1.0, FLOW_SIDE / max(width, height))
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    a: U8 = cv2.resize(first, size, interpolation=cv2.INTER_AREA).astype(np.uint8, copy=False)
    b: U8 = cv2.resize(last, size, interpolation=cv2.INTER_AREA).astype(np.uint8, copy=False)
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
    plain = float(np.mean(np.abs(a.astype(np.float32) - b)))
    followed = float(np.mean(np.abs(predicted.astype(np.float32) - b)))
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

    def __init__(self, first: U8, last: U8, forward: F32, backward: F32) -> None:
        height, width = first.shape
        fh, fw = forward.shape[:2]
        sx, sy = width / fw, height / fh

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
        self._pull(self.first, self.fx, self.fy, -t, s, s.warped_a)  # forward along t
        self._pull(self.last, self.bx, self.by, t - 1.0, s, s.warped_b)  # back along 1 - t
        cv2.addWeighted(s.warped_a, 1.0 - t, s.warped_b, t, 0.0, dst=target)

    def _pull(
        self, image: U8, flow_x: F32, flow_y: F32, amount: float, s: _Scratch, dst: U8
    ) -> None:
        """``dst(p) = image(p + amount * flow(p))``, bilinear."""
        cv2.scaleAdd(flow_x, amount, self.gx, dst=s.map_x)
        cv2.scaleAdd(flow_y, amount, self.gy, dst=s.map_y)
        cv2.remap(
            image, s.map_x, s.map_y, cv2.INTER_LINEAR, dst=dst, borderMode=cv2.BORDER_REPLICATE
        )


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
            _PlaneMorph(a, b, forward, backward)
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
