"""Optical-flow measurements on decoded output, to prove which way the picture moved."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]


def dense_flow(a: U8, b: U8) -> F32:
    """Where each pixel of ``a`` went in ``b`` (Farneback, independent of the engine's DIS)."""
    flow = np.zeros((*a.shape, 2), dtype=np.float32)
    flow = cv2.calcOpticalFlowFarneback(a, b, flow, 0.5, 4, 21, 5, 7, 1.5, 0)
    return np.asarray(flow, dtype=np.float32)


@dataclass(frozen=True)
class Motion:
    dx: float  # mean horizontal motion, pixels (right positive)
    dy: float  # mean vertical motion, pixels (down positive)
    radial: float  # mean outward motion from the centre, pixels (expansion positive)
    centre: float  # mean motion magnitude in the central tenth
    top_dy: float  # mean vertical motion in the top quarter
    bottom_dy: float  # ... and in the bottom quarter

    @property
    def magnitude(self) -> float:
        return float(np.hypot(self.dx, self.dy)) + abs(self.radial)


def measure(a: U8, b: U8) -> Motion:
    flow = dense_flow(a, b)
    height, width = a.shape
    margin = max(4, min(width, height) // 10)  # borders hold the least trustworthy flow
    inner = flow[margin:-margin, margin:-margin]
    ys, xs = np.mgrid[margin : height - margin, margin : width - margin].astype(np.float32)
    rx, ry = xs - (width - 1) / 2, ys - (height - 1) / 2
    norm = np.hypot(rx, ry) + 1e-6
    radial = (inner[..., 0] * rx + inner[..., 1] * ry) / norm
    cy, cx, r = height // 2, width // 2, max(2, min(width, height) // 20)
    centre = flow[cy - r : cy + r, cx - r : cx + r]
    quarter = (height - 2 * margin) // 4
    return Motion(
        dx=float(inner[..., 0].mean()),
        dy=float(inner[..., 1].mean()),
        radial=float(radial.mean()),
        centre=float(np.hypot(centre[..., 0], centre[..., 1]).mean()),
        top_dy=float(inner[:quarter, :, 1].mean()),
        bottom_dy=float(inner[-quarter:, :, 1].mean()),
    )
