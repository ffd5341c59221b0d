"""The public eye-crop recipe, shared by every source of eye images.

Coordinates are continuous image coordinates with the origin at the TOP-left
corner of the top-left pixel (pixel (row i, col j) covers [j, j+1) x [i, i+1)).
UnityEyes' bottom-left screen y becomes `H - y` before it reaches this module.

Recipe (public gaze code, ../shared/reference/formats.md): the eye corners are the
mean of the 7 caruncle points (inner corner) and interior-margin point 8 (outer
corner); the crop is centred between them, 1.5x the corner distance wide, at a
60:36 aspect, axis aligned, grayscale, resized to the canonical size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

CROP_WIDTH_PER_EYE_WIDTH = 1.5
CROP_ASPECT_H_OVER_W = 36.0 / 60.0
# Hostile-input bounds of crop_gray (a real eye box is a fraction of its render):
# a box wider or taller than 2x the image is no eye crop, and at least a quarter of
# the box must lie on the image (an eye at the render's edge keeps ~1/3 of its box).
MAX_BOX_PER_IMAGE = 2.0
MIN_BOX_INSIDE = 0.25


@dataclass(frozen=True)
class CropBox:
    """An axis-aligned box in continuous pixel coordinates (x0, y0 top-left; floats)."""

    x0: float
    y0: float
    width: float
    height: float

    def to_crop(self, points_xy: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
        """Map (..., 2) image points (x, y) into the coordinates of the resized crop."""
        pts = np.asarray(points_xy, dtype=np.float64)
        scale = np.array([out_hw[1] / self.width, out_hw[0] / self.height])
        return (pts - np.array([self.x0, self.y0])) * scale


def eye_crop_box(interior_margin_xy: np.ndarray, caruncle_xy: np.ndarray) -> CropBox:
    """Crop box from (16, 2) interior-margin and (7, 2) caruncle points (top-left origin)."""
    inner = np.asarray(caruncle_xy, dtype=np.float64).mean(axis=0)
    outer = np.asarray(interior_margin_xy, dtype=np.float64)[8]
    centre = (inner + outer) / 2.0
    eye_width = float(np.linalg.norm(outer - inner))
    if not np.isfinite(eye_width) or eye_width < 1.0:
        raise ValueError(f"eye corners too close to crop ({eye_width:.3f} px apart)")
    width = CROP_WIDTH_PER_EYE_WIDTH * eye_width
    height = width * CROP_ASPECT_H_OVER_W
    return CropBox(centre[0] - width / 2.0, centre[1] - height / 2.0, width, height)


def _check_box(box: CropBox, height: int, width: int) -> int:
    """The edge-replication pad (px, every side) `box` needs on an (height, width) image.

    Raises ValueError for a box that is not finite, absurdly large for the image, or
    mostly off it: np.pad of landmarks 1e5 px away would allocate ~37 GiB. After these
    checks the pad is at most 1.5x the image's larger side (a box <= 2x the image per
    axis with >= a quarter of its area on the image sticks out <= 0.75 x 2x per side).
    """
    x0, y0, x1, y1 = box.x0, box.y0, box.x0 + box.width, box.y0 + box.height
    if not all(np.isfinite(v) for v in (x0, y0, x1, y1)) or box.width <= 0 or box.height <= 0:
        raise ValueError(f"crop box {box} is not a finite, non-empty box")
    if box.width > MAX_BOX_PER_IMAGE * width or box.height > MAX_BOX_PER_IMAGE * height:
        raise ValueError(f"crop box {box.width:.0f} x {box.height:.0f} px is absurdly large for "
                         f"a {width} x {height} image (> {MAX_BOX_PER_IMAGE:g}x per axis)")
    inside_w = max(0.0, min(x1, width) - max(x0, 0.0))
    inside_h = max(0.0, min(y1, height) - max(y0, 0.0))
    inside = inside_w * inside_h / (box.width * box.height)
    if inside < MIN_BOX_INSIDE:
        raise ValueError(f"crop box at ({x0:.0f}, {y0:.0f}) is {100 * (1 - inside):.0f}% off "
                         f"the {width} x {height} image (at most "
                         f"{100 * (1 - MIN_BOX_INSIDE):.0f}% may be padding)")
    return int(np.ceil(max(0.0, -x0, -y0, x1 - width, y1 - height)))


def crop_gray(image: np.ndarray, box: CropBox, out_hw: tuple[int, int]) -> np.ndarray:
    """Crop `box` out of an (H, W) or (H, W, 3) uint8 image; (out_h, out_w) uint8 grayscale.

    PIL's resize with a `box` samples sub-pixel boxes and antialiases when shrinking;
    parts of the box outside the image are filled by edge replication. A box mostly off
    the image or absurdly large (`_check_box`) and a crop with one pixel value only
    (nothing of the eye in it) raise ValueError with the reason.
    """
    pil = Image.fromarray(image)
    if pil.mode != "L":
        pil = pil.convert("L")  # ITU-R 601-2 luma, as OpenCV's BGR2GRAY up to rounding
    pad = _check_box(box, pil.height, pil.width)
    x0, y0, x1, y1 = box.x0, box.y0, box.x0 + box.width, box.y0 + box.height
    # PIL refuses boxes that leave the image: pad by edge replication and shift the box.
    # The same pad on every side (as always): the filter's support at the box's edges
    # reads the padding, so a per-side pad would change the pixels of edge crops.
    if pad > 0:
        pil = Image.fromarray(np.pad(np.asarray(pil), pad, mode="edge"))
        x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 + pad, y1 + pad
    box_xyxy = (x0, y0, x1, y1)
    out = np.asarray(pil.resize((out_hw[1], out_hw[0]), Image.Resampling.BILINEAR,
                                box=box_xyxy), dtype=np.uint8)
    if out.size and out.min() == out.max():  # e.g. a box over replicated padding only
        raise ValueError(f"flat crop: every pixel is {int(out.flat[0])} (no eye in the box)")
    return out


def resize_gray(image: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """Resize a whole (H, W) uint8 crop (e.g. MPIIGaze's 36 x 60) to (out_h, out_w)."""
    pil = Image.fromarray(np.asarray(image, dtype=np.uint8))
    return np.asarray(pil.resize((out_hw[1], out_hw[0]), Image.Resampling.BILINEAR), dtype=np.uint8)
