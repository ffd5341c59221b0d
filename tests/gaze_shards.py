"""Tiny gaze shard sets for the refiner-training tests: noise images whose brightness
sets them apart, each with the gaze annotation the stage's label reader reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simgan_core.shard_index import write_index, write_sha256sums
from simgan_core.shards import encode_sample, write_shard_set


def _annotation(rng: np.random.Generator) -> dict[str, object]:
    pitch, yaw = rng.uniform(-0.5, 0.5, 2)  # radians
    return {"domain": "gaze", "gaze": {"pitch": float(pitch), "yaw": float(yaw)}}


def write_gaze_split(out: Path, n: int, brightness: int, seed: int,
                     image_hw: tuple[int, int] = (35, 55)) -> None:
    """n uint8 samples of image_hw = (H, W) (the gaze spec's 35 x 55 by default) in shards
    of 16 under out, with index.json and SHA256SUMS."""
    rng = np.random.default_rng(seed)
    samples = (encode_sample(f"s{seed}-{i}", rng.integers(0, 60, image_hw, dtype=np.uint8)
                             + np.uint8(brightness), _annotation(rng)) for i in range(n))
    shards = write_shard_set(out, samples, maxcount=16)
    write_index(out, shards, name=out.name)
    write_sha256sums(out, shards)
