"""Random access to the images of a shard set, for training loops that must resume.

Reads through the set's wids index (`index.json`): one sample at a time from the
tar files on disk, never the corpus in memory. Only the PNG of a sample is decoded;
the JSON annotation is never parsed, so real images' labels are never read.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simgan_core.domain import Domain
from simgan_core.shard_index import open_indexed
from simgan_core.shards import decode_png


def _png_only(sample: dict[str, Any], expected_hw: tuple[int, int] | None = None,
              expected_dtype: type[np.unsignedinteger] | None = None,
              expected_channels: int = 1) -> np.ndarray:
    """The sample's PNG, refused from its header unless (H, W) / dtype / channels are the
    domain's."""
    where = f"{sample.get('__shard__')}[{sample.get('__shardindex__')}]"
    data = sample[".png"]
    return decode_png(data.read() if hasattr(data, "read") else bytes(data), where,
                      expected_hw, expected_dtype, expected_channels)


class IndexedImages:
    """images[i] -> stored pixels (H, W[, C]); `batch(indices)` -> (B, C, H, W) float in
    [-1, 1]."""

    def __init__(self, index_path: Path | str, domain: Domain) -> None:
        self.domain = domain
        self.index_path = Path(index_path)
        # The domain's (H, W) and dtype: an image of any other size is never decoded.
        self._ds = open_indexed(self.index_path, decode=partial(
            _png_only, expected_hw=domain.image_hw, expected_dtype=domain.dtype,
            expected_channels=domain.channels))

    def __len__(self) -> int:
        return len(self._ds)

    def __getitem__(self, i: int) -> np.ndarray:
        return self._ds[int(i)]

    def batch(self, indices: torch.Tensor) -> torch.Tensor:
        return self.domain.to_tensor(np.stack([self._ds[int(i)] for i in indices]))


def stored_image_hw(index_path: Path | str) -> tuple[int, int]:
    """(H, W) of the first image of the shard set at `index_path` (a wids index.json),
    from its PNG header; ValueError naming the index for an empty set."""
    ds = open_indexed(Path(index_path), decode=_png_only)
    if len(ds) == 0:
        raise ValueError(f"{index_path}: the shard set holds no image")
    first = ds[0]
    return int(first.shape[0]), int(first.shape[1])


def domain_of_shards(domain: Domain, shards_dir: Path | str) -> Domain:
    """`domain` at the size its ingested synthetic shards carry (Domain.at_size): a
    sizable domain (images, hand) takes the size ingest chose; a fixed one refuses any other."""
    index = Path(shards_dir) / "synthetic" / "index.json"
    return domain.at_size(stored_image_hw(index), str(index))
