"""The common hand crop: a metric cube around the palm centre, depth normalized to [-1, 1].

Given a depth frame (H, W) in mm and the palm-centre joint (u, v, d):

1. the cube's edge `cube_mm` at depth d spans `cube_mm * f / d` pixels (f the mean of
   fx and fy): a square box centred on (u, v) in the frame;
2. every frame pixel is normalized as (depth - d) / (cube_mm / 2): the cube's near
   face is -1, its far face +1; holes (0) and everything beyond the far face become
   +1 (the back), anything nearer than the near face is clipped to -1;
3. the box is resampled to S x S by area averaging (PIL's BOX filter on float32);
   the parts of the box outside the frame are back of the cube (+1);
4. stored as uint16: round((norm + 1) / 2 * 65535) (the HAND domain's `from_unit`).

Pixel coordinates: NYU's u, v put pixel k's centre at k. Crop coordinates have their
origin at the crop's top-left pixel CORNER (the canonical contract), so the palm centre
maps to (S / 2, S / 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from simgan_core.hand.joints import FX, FY
from simgan_core.hand.spec import HAND

BACK = 1.0  # normalized depth of the cube's far face (and of holes)
# The frame pixels inside the box that must hold a reading within the cube for the
# crop to show a hand at all (below: "no valid depth around the palm").
MIN_VALID_FRACTION = 0.01


class CropError(ValueError):
    """The crop is undefined for this frame (the reason is the message)."""


@dataclass(frozen=True)
class CropBox:
    """The square box in frame pixels, corner-origin coordinates (pixel k = [k, k + 1))."""

    x0: float
    y0: float
    side: float  # px

    def to_crop(self, uv: np.ndarray, size: int) -> np.ndarray:
        """(..., 2) frame (u, v) (pixel-centre convention) -> crop pixels (corner origin)."""
        uv = np.asarray(uv, dtype=np.float64)
        return (uv + 0.5 - np.array([self.x0, self.y0])) * (size / self.side)


@dataclass(frozen=True, eq=False)
class HandCrop:
    image: np.ndarray  # (S, S) uint16, HAND scaling of the normalized depth
    joints_uv: np.ndarray  # (J, 2) float64 crop pixels
    box: CropBox
    valid_fraction: float  # of the box's in-frame pixels with depth inside the cube


def crop_box(center_uvd: np.ndarray, cube_mm: float) -> CropBox:
    """The cube's extent at the centre's depth, as a square box of frame pixels."""
    u, v, d = (float(c) for c in center_uvd)
    if not np.isfinite([u, v, d]).all():
        raise CropError(f"palm centre {center_uvd} is not finite")
    if d <= 0:
        raise CropError(f"palm centre at depth {d:.1f} mm is behind the camera")
    side = cube_mm * 0.5 * (FX + FY) / d
    return CropBox(u + 0.5 - side / 2, v + 0.5 - side / 2, side)


def normalize_depth(depth_mm: np.ndarray, center_d: float, cube_mm: float) -> np.ndarray:
    """(H, W) depth in mm -> float32 in [-1, 1]: near face -1, far face, holes, beyond: +1."""
    depth = np.asarray(depth_mm, dtype=np.float64)
    norm = (depth - center_d) / (cube_mm / 2.0)
    norm = np.where((depth <= 0) | (norm > 1.0), BACK, np.maximum(norm, -1.0))
    return norm.astype(np.float32)


def _padded_window(depth: np.ndarray, box: CropBox) -> tuple[np.ndarray, tuple[int, int]]:
    """The frame pixels covering the box, padded with 0 (no reading: the back once
    normalized) where it leaves the frame; returns (window, (col0, row0)) with
    window[0, 0] = frame pixel (col0, row0). Only this window is normalized (fast)."""
    h, w = depth.shape
    c0, r0 = int(np.floor(box.x0)), int(np.floor(box.y0))
    c1, r1 = int(np.ceil(box.x0 + box.side)), int(np.ceil(box.y0 + box.side))
    window = np.zeros((r1 - r0, c1 - c0), dtype=depth.dtype)
    rs, re_ = max(r0, 0), min(r1, h)
    cs, ce = max(c0, 0), min(c1, w)
    if rs < re_ and cs < ce:
        window[rs - r0:re_ - r0, cs - c0:ce - c0] = depth[rs:re_, cs:ce]
    return window, (c0, r0)


def crop_hand(depth_mm: np.ndarray, center_uvd: np.ndarray, joints_uv: np.ndarray,
              cube_mm: float = 300.0, size: int = 64,
              min_valid_fraction: float = MIN_VALID_FRACTION) -> HandCrop:
    """Crop one frame around the palm centre; raises CropError when undefined.

    depth_mm (H, W) uint16 or float mm; center_uvd (3,) (u px, v px, d mm);
    joints_uv (J, 2) frame pixels -> HandCrop with joints in crop pixels.
    """
    depth = np.asarray(depth_mm)
    h, w = depth.shape
    u, v, d = (float(c) for c in center_uvd)
    box = crop_box(center_uvd, cube_mm)
    if not (0 <= u < w and 0 <= v < h):
        raise CropError(f"palm centre ({u:.1f}, {v:.1f}) px is outside the {w} x {h} frame")
    raw, (c0, r0) = _padded_window(depth, box)
    window = normalize_depth(raw, d, cube_mm)
    inside = window[max(0, -r0):h - r0, max(0, -c0):w - c0]  # the in-frame part
    valid = float((inside < BACK).mean()) if inside.size else 0.0
    if valid < min_valid_fraction:
        raise CropError(f"no valid depth around the palm: {valid:.1%} of the box's pixels "
                        f"lie within the {cube_mm:g} mm cube (min {min_valid_fraction:.1%})")
    pil = Image.fromarray(window)  # float32 -> mode "F"
    resample_box = (box.x0 - c0, box.y0 - r0, box.x0 - c0 + box.side, box.y0 - r0 + box.side)
    resized = np.asarray(pil.resize((size, size), Image.Resampling.BOX, box=resample_box))
    image = HAND.from_unit(resized)
    return HandCrop(image, box.to_crop(joints_uv, size), box, valid)
