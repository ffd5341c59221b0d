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


def crop_gray(image: np.ndarray, box: CropBox, out_hw: tuple[int, int]) -> np.ndarray:
    """Crop `box` out of an (H, W) or (H, W, 3) uint8 image; (out_h, out_w) uint8 grayscale.

    PIL's resize with a `box` samples sub-pixel boxes and antialiases when shrinking;
    parts of the box outside the image are filled by edge replication.
    """
    pil = Image.fromarray(image)
    if pil.mode != "L":
        pil = pil.convert("L")  # ITU-R 601-2 luma, as OpenCV's BGR2GRAY up to rounding
    x0, y0, x1, y1 = box.x0, box.y0, box.x0 + box.width, box.y0 + box.height
    # PIL refuses boxes that leave the image: pad by edge replication and shift the box.
    pad = int(np.ceil(max(0.0, -x0, -y0, x1 - pil.width, y1 - pil.height)))
    if pad > 0:
        pil = Image.fromarray(np.pad(np.asarray(pil), pad, mode="edge"))
        x0, y0, x1, y1 = x0 + pad, y0 + pad, x1 + pad, y1 + pad
    box_xyxy = (x0, y0, x1, y1)
    out = pil.resize((out_hw[1], out_hw[0]), Image.Resampling.BILINEAR, box=box_xyxy)
    return np.asarray(out, dtype=np.uint8)


def resize_gray(image: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """Resize a whole (H, W) uint8 crop (e.g. MPIIGaze's 36 x 60) to (out_h, out_w)."""
    pil = Image.fromarray(np.asarray(image, dtype=np.uint8))
    return np.asarray(pil.resize((out_hw[1], out_hw[0]), Image.Resampling.BILINEAR), dtype=np.uint8)
