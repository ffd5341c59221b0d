"""Joint heatmaps: Gaussian targets from joint positions, and positions back from heatmaps.

Coordinates: joints are (u, v) in crop pixels with the origin at the crop's top-left
pixel corner (the canonical contract, simgan_core/hand/__init__.py). A heatmap of
side H over a crop of side S has stride s = S / H crop pixels, and its cell (i, j)
is centred at crop pixel ((j + 0.5) s, (i + 0.5) s).

Two decoders. `soft_argmax` (what the estimator trains and predicts with): the
expected position under softmax(logits) over the cells, differentiable and sub-cell by
construction. `decode_heatmaps` (for heatmaps proper, e.g. targets or probabilities):
the arg-max cell and refines it to sub-cell precision with a parabola
through the log of the peak and its two neighbours on each axis: the log of a
Gaussian is exactly a parabola, so a target built at (u, v) decodes back to (u, v)
up to float rounding, and a network's blob-shaped output decodes well too. At a
border cell (one neighbour only) the parabola's curvature is taken from the target's
known sigma (-1 / sigma**2 in the log), so joints near the crop edge refine too.
"""

from __future__ import annotations

import numpy as np
import torch

LOG_FLOOR = 1e-6  # heatmap values are clamped here before the log (outputs may be <= 0)


def to_heatmap_coords(uv: np.ndarray, crop_size: int, heatmap_size: int) -> np.ndarray:
    """(..., 2) crop pixels -> (..., 2) heatmap cell coordinates (cell centres at integers)."""
    stride = crop_size / heatmap_size
    return np.asarray(uv, dtype=np.float64) / stride - 0.5


def to_crop_pixels(xy: np.ndarray, crop_size: int, heatmap_size: int) -> np.ndarray:
    """Inverse of to_heatmap_coords: (..., 2) cell coordinates -> (..., 2) crop pixels."""
    stride = crop_size / heatmap_size
    return (np.asarray(xy, dtype=np.float64) + 0.5) * stride


def gaussian_heatmaps(uv: np.ndarray, crop_size: int, heatmap_size: int, sigma: float
                      ) -> torch.Tensor:
    """(N, J, 2) joint (u, v) in crop pixels -> (N, J, H, H) float32 targets, peak 1 at
    the joint, `sigma` in heatmap cells. A joint outside the crop gives a (near) empty map."""
    xy = torch.from_numpy(to_heatmap_coords(uv, crop_size, heatmap_size)).float()
    cells = torch.arange(heatmap_size, dtype=torch.float32)
    gx = torch.exp(-(cells - xy[..., 0:1]) ** 2 / (2 * sigma**2))  # (N, J, H) over columns
    gy = torch.exp(-(cells - xy[..., 1:2]) ** 2 / (2 * sigma**2))  # (N, J, H) over rows
    return gy[..., :, None] * gx[..., None, :]  # separable: (N, J, H rows, H columns)


def soft_argmax(logits: torch.Tensor, crop_size: int) -> torch.Tensor:
    """(B, J, H, H) logits -> (B, J, 2) float32 expected (u, v) in crop pixels under the
    softmax over the H * H cells (cell centres at ((j + 0.5) s, (i + 0.5) s))."""
    b, j, h, w = logits.shape
    p = torch.softmax(logits.reshape(b, j, h * w), dim=-1).reshape(b, j, h, w)
    stride = crop_size / w
    centres = (torch.arange(w, dtype=p.dtype, device=p.device) + 0.5) * stride
    u = (p.sum(dim=2) * centres).sum(dim=-1)  # marginal over columns
    v = (p.sum(dim=3) * centres).sum(dim=-1)  # marginal over rows
    return torch.stack([u, v], dim=-1)


def _parabola_offset(left: np.ndarray, centre: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Vertex of the parabola through (-1, left), (0, centre), (1, right), in [-0.5, 0.5]
    when centre is the largest (it is: centre is the arg-max); 0 where it is flat."""
    curvature = left - 2.0 * centre + right  # < 0 at a strict maximum
    safe = np.where(curvature < 0, curvature, -1.0)
    return np.where(curvature < 0, np.clip(0.5 * (left - right) / safe, -0.5, 0.5), 0.0)


def _border_offset(peak: np.ndarray, inner: np.ndarray, sigma: float) -> np.ndarray:
    """Distance from a border peak cell toward the inside (+) or outside (-) of the
    Gaussian's centre, from the peak and its one (inner) neighbour in the log:
    log inner - log peak = (2 m - 1) / (2 sigma**2) for a centre m cells inside."""
    return np.clip(sigma**2 * (inner - peak) + 0.5, -1.0, 0.5)


def decode_heatmaps(heatmaps: np.ndarray, crop_size: int, sigma: float) -> np.ndarray:
    """(N, J, H, H) heatmaps -> (N, J, 2) float64 joint (u, v) in crop pixels: arg-max
    plus the log-parabola refinement on each axis (at the border with the curvature of
    a Gaussian of `sigma` cells, the targets' own)."""
    hm = np.asarray(heatmaps, dtype=np.float64)
    n, j, h, w = hm.shape
    if h != w:
        raise ValueError(f"expected square heatmaps, got {h} x {w}")
    flat = hm.reshape(n, j, h * w).argmax(axis=2)
    iy, ix = np.divmod(flat, w)  # (N, J) row and column of the peak
    log = np.log(np.maximum(hm, LOG_FLOOR))
    nn_, jj = np.meshgrid(np.arange(n), np.arange(j), indexing="ij")
    centre = log[nn_, jj, iy, ix]
    inner_x, inner_y = (ix > 0) & (ix < w - 1), (iy > 0) & (iy < h - 1)
    left = log[nn_, jj, iy, np.clip(ix - 1, 0, w - 1)]
    right = log[nn_, jj, iy, np.clip(ix + 1, 0, w - 1)]
    up = log[nn_, jj, np.clip(iy - 1, 0, h - 1), ix]
    down = log[nn_, jj, np.clip(iy + 1, 0, h - 1), ix]
    # Border cells: at column 0 the centre lies `offset` cells right of it; at column
    # w - 1, `offset` cells left of it (and likewise for rows). A 1-cell side has no
    # neighbour at all and stays at the cell centre.
    dx = np.where(inner_x, _parabola_offset(left, centre, right),
                  np.where((ix == 0) & (w > 1), _border_offset(centre, right, sigma),
                           np.where((ix == w - 1) & (w > 1),
                                    -_border_offset(centre, left, sigma), 0.0)))
    dy = np.where(inner_y, _parabola_offset(up, centre, down),
                  np.where((iy == 0) & (h > 1), _border_offset(centre, down, sigma),
                           np.where((iy == h - 1) & (h > 1),
                                    -_border_offset(centre, up, sigma), 0.0)))
    xy = np.stack([ix + dx, iy + dy], axis=-1)
    return to_crop_pixels(xy, crop_size, w)
