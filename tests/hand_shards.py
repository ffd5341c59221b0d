"""A tiny hand-domain corpus in the canonical contract, for tests of the stages after ingest.

It stands in for `ingest@hand`'s output (data/hand/shards/<split>/) so the refiner,
refine, estimator and evaluate stages can be tested without the simulators: each split
holds shards, a wids index, SHA256SUMS and a manifest. Images are 16-bit depth crops
(S x S, back of the cube = 65535) with a nearer blob at each of the 14 joints, so a
heatmap estimator can learn the labels; `real_*` splits add noise and holes, as a
structured-light sensor would.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simgan_core.hand.joints import N_EVAL
from simgan_core.shard_index import write_index, write_sha256sums
from simgan_core.shards import encode_sample, write_shard_set

SPLIT_SOURCES = {"synthetic": "nyu_synthdepth", "real_train": "nyu_depth", "real_test": "nyu_depth"}


def hand_sample(rng: np.random.Generator, size: int, real: bool) -> tuple[np.ndarray, dict]:
    """One (S, S) uint16 depth crop and its canonical annotation (see simgan_core/hand)."""
    uv = rng.uniform(0.2 * size, 0.8 * size, (N_EVAL, 2))  # crop pixels
    vv, uu = np.mgrid[0:size, 0:size] + 0.5
    norm = np.ones((size, size))  # [-1, 1] within the cube; +1 = back
    for u, v in uv:
        blob = -0.2 - 0.6 * np.exp(-((uu - u) ** 2 + (vv - v) ** 2) / (2 * (0.04 * size) ** 2))
        norm = np.minimum(norm, np.where(blob < -0.25, blob, 1.0))
    if real:
        norm = np.where(norm < 1.0, norm + rng.normal(0, 0.02, norm.shape), norm)
        norm[rng.random(norm.shape) < 0.05] = 1.0  # holes read as the back of the cube
    image = np.rint((np.clip(norm, -1, 1) + 1) / 2 * 65535).astype(np.uint16)
    xyz = np.column_stack([uv - size / 2, np.full(N_EVAL, 800.0)])
    annotation = {
        "domain": "hand", "joints_uv": np.round(uv, 3).tolist(),
        "joints_xyz_mm": np.round(xyz, 3).tolist(), "cube_mm": 300.0,
        "center_uvd": [320.0, 240.0, 800.0],
        "provenance": {"source": "", "file": "", "frame": 0, "kinect": 1},
    }
    return image, annotation


def build_hand_shards(root: Path, counts: dict[str, int] | None = None, size: int = 64,
                      maxcount: int = 16, seed: int = 0) -> Path:
    """Write root/<split>/ for synthetic, real_train and real_test; returns root."""
    counts = counts or {"synthetic": 48, "real_train": 32, "real_test": 24}
    rng = np.random.default_rng(seed)
    for split, n in counts.items():
        samples, rows = [], []
        for i in range(n):
            image, annotation = hand_sample(rng, size, real=split != "synthetic")
            key = f"{split.replace('_', '')}-{i:07d}"
            annotation["provenance"] = {"source": SPLIT_SOURCES[split], "file": f"{key}.png",
                                        "frame": i + 1, "kinect": 1}
            samples.append(encode_sample(key, image, annotation))
            rows.append({"key": key, "split": split, "image_mean": float(image.mean()),
                         "image_std": float(image.std())})
        out = root / split
        shards = write_shard_set(out, samples, maxcount=maxcount)
        write_index(out, shards, name=f"hand-{split}")
        write_sha256sums(out, shards)
        pd.DataFrame(rows).to_parquet(out / "manifest.parquet", index=False)
    return root
