"""The refiner's data path: shuffled random batches from a shard set, as training reads
them (simgan_core/image_source.py: IndexedImages over a wids index, a fresh permutation
per epoch from ResumableIndexStream).

A set of 12 shards of 1000 gaze-sized PNGs (35 x 55; the default run's gaze synthetic
set has 12, its other sets 10 or fewer), read in batches of 32: with wids' own 10 open
shards, which walks a shard's tar headers again on every reopen, against open_indexed's
every-shard-open default
(MAX_OPEN_SHARDS). The two alternate, best of two each; both must return the same
pixels.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import simgan_core.shard_index as shard_index
from simgan_core.gaze.spec import GAZE
from simgan_core.image_source import IndexedImages
from simgan_core.refiner.sampling import ResumableIndexStream
from simgan_core.shard_index import write_index
from simgan_core.shards import encode_sample, write_shard_set

SHARDS, PER_SHARD, BATCH, BATCHES, REPEATS = 12, 1000, 32, 100, 2
WIDS_DEFAULT_OPEN = 10  # wids.ShardListDataset's lru_size


def _write_set(root: Path) -> Path:
    rng = np.random.default_rng(0)
    samples = (encode_sample(f"s-{i}", rng.integers(0, 256, (35, 55), np.uint8),
                             {"domain": "gaze", "i": i}) for i in range(SHARDS * PER_SHARD))
    infos = write_shard_set(root, samples, maxcount=PER_SHARD)
    return write_index(root, infos, name="synthetic")


def _read(index: Path, open_shards: int) -> tuple[float, float]:
    """(images/s, checksum) of BATCHES shuffled batches with `open_shards` kept open."""
    default = shard_index.MAX_OPEN_SHARDS
    shard_index.MAX_OPEN_SHARDS = open_shards
    try:
        images = IndexedImages(index, GAZE)
    finally:
        shard_index.MAX_OPEN_SHARDS = default
    stream = ResumableIndexStream(len(images), BATCH, seed=0)
    start, total = time.perf_counter(), 0.0
    for _ in range(BATCHES):
        total += float(images.batch(stream.next_batch()).sum())
    return BATCHES * BATCH / (time.perf_counter() - start), total


def run() -> list[dict]:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        index = _write_set(Path(tmp) / "set")
        best = {WIDS_DEFAULT_OPEN: 0.0, shard_index.MAX_OPEN_SHARDS: 0.0}
        sums = set()
        for _ in range(REPEATS):
            for open_shards in best:
                rate, checksum = _read(index, open_shards)
                best[open_shards] = max(best[open_shards], rate)
                sums.add(checksum)
    if len(sums) != 1:
        raise AssertionError(f"the two readers returned different pixels: {sums}")
    wids_rate, ours = best[WIDS_DEFAULT_OPEN], best[shard_index.MAX_OPEN_SHARDS]
    note = (f"{SHARDS} shards x {PER_SHARD}, batches of {BATCH}, shuffled, "
            f"best of {REPEATS}, alternating")
    return [
        {"figure": "shard_reads_wids_10_open_images_per_s", "value": wids_rate,
         "unit": "images/s", "note": note},
        {"figure": "shard_reads_all_open_images_per_s", "value": ours, "unit": "images/s",
         "note": note},
        {"figure": "shard_reads_speedup", "value": ours / wids_rate, "unit": "ratio",
         "note": "the same pixels (checksum)"},
    ]
