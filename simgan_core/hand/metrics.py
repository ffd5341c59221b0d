"""Hand-pose accuracy as the paper reports it: joints within 5 pixels at 224 x 224.

The paper's crops are 224 x 224; ours are S x S (64 by default). A distance of d crop
pixels is d * 224 / S pixels at the paper's scale, so the 5-pixel threshold means the
same fraction of the hand on either crop size.
"""

from __future__ import annotations

import numpy as np

PAPER_CROP_PX = 224  # the paper's crop side
PCK_THRESHOLD_PX = 5.0  # "percentage of joints within 5 pixels" (at the paper's scale)


def joint_distances_px(pred_uv: np.ndarray, true_uv: np.ndarray, crop_size: int
                       ) -> np.ndarray:
    """(N, J, 2) predicted and true (u, v) in crop pixels of an S x S crop -> (N, J)
    Euclidean distances in pixels at the paper's 224-pixel scale."""
    pred, true = np.asarray(pred_uv, np.float64), np.asarray(true_uv, np.float64)
    if pred.shape != true.shape or pred.ndim != 3 or pred.shape[-1] != 2:
        raise ValueError(f"expected two (N, J, 2) arrays, got {pred.shape} and {true.shape}")
    if crop_size < 1:
        raise ValueError(f"crop_size must be >= 1, got {crop_size}")
    return np.linalg.norm(pred - true, axis=-1) * (PAPER_CROP_PX / crop_size)


def _check(distances: np.ndarray) -> np.ndarray:
    d = np.asarray(distances, dtype=np.float64).reshape(-1)
    if d.size == 0:
        raise ValueError("no joint distances to summarise")
    if not np.isfinite(d).all():
        raise ValueError(f"{int((~np.isfinite(d)).sum())} of {d.size} distances are NaN or inf")
    return d


def pck_summary(distances: np.ndarray) -> dict[str, float]:
    """Joint distances (any shape, px at 224 scale) -> pck_5px (percent of joints within
    5 px, inclusive) and mean_px."""
    d = _check(distances)
    return {"pck_5px": float(100.0 * np.mean(d <= PCK_THRESHOLD_PX)), "mean_px": float(d.mean())}


def pck_curve(distances: np.ndarray, grid_px: np.ndarray) -> np.ndarray:
    """Percent of joints within each threshold of grid_px (G,) -> (G,) float64."""
    d = np.sort(_check(distances))
    return 100.0 * np.searchsorted(d, np.asarray(grid_px, np.float64), side="right") / d.size
