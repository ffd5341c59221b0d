"""Sample grids: rows of images side by side, e.g. synthetic | refined | real."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from simgan_core.domain import Domain


def image_grid(rows: Sequence[np.ndarray], scale: int = 3, gap: int = 2) -> Image.Image:
    """rows: each (N, H, W) uint8 gray, or all (N, H, W, 3) uint8 RGB; every row gets the
    same N columns. Nearest-neighbour upscaling by `scale` so that pixels stay visible; a
    white `gap` between cells."""
    n = min(len(r) for r in rows)
    h, w = rows[0].shape[1:3]
    colour = rows[0].shape[3:]  # () gray, (3,) RGB
    cell_h, cell_w = h * scale + gap, w * scale + gap
    canvas = np.full((len(rows) * cell_h + gap, n * cell_w + gap, *colour), 255,
                     dtype=np.uint8)
    for i, row in enumerate(rows):
        for j in range(n):
            big = row[j].repeat(scale, axis=0).repeat(scale, axis=1)
            y, x = gap + i * cell_h, gap + j * cell_w
            canvas[y:y + h * scale, x:x + w * scale] = big
    return Image.fromarray(canvas)


def display_uint8(images: np.ndarray, domain: Domain) -> np.ndarray:
    """(N, H, W[, C]) stored pixels of `domain` -> uint8 for a grid: 8-bit images as
    they are; deeper ones (16-bit depth) mapped linearly through [-1, 1] to 0..255."""
    if domain.dtype == np.uint8:
        return np.asarray(images, dtype=np.uint8)
    return np.rint((domain.to_unit(images) + 1.0) * 127.5).astype(np.uint8)


def grid_scale(image_hw: tuple[int, int], target: int = 165) -> int:
    """Nearest-neighbour upscaling so that a cell is about `target` px wide (3 for 35 x 55
    eyes, 2 for 64 x 64 depth crops, 1 at 224)."""
    return max(1, target // max(image_hw))
