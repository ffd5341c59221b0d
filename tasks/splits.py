"""Reading a split of canonical shards into memory for training or scoring: images as
stored and the domain's label vectors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from simgan_core.domain import Domain
from simgan_core.shards import iter_samples


def load_split(split_dir: Path, limit: int, domain: Domain, with_keys: bool = False
               ) -> Any:
    """The first `limit` samples of a split: (N, H, W) images as stored (uint8 for gaze,
    uint16 for hand), (N, L) label vectors (gaze: pitch/yaw; hand: 14 joints' uv)
    (and the keys, with_keys=True)."""
    images, labels, keys = [], [], []
    for sample in iter_samples(sorted(split_dir.glob("*.tar"))):
        if len(images) == limit:
            break
        try:
            labels.append(domain.label_vector(sample.annotation))
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{split_dir}: sample {sample.key} has no {domain.name} label "
                             f"({err!r})") from None
        images.append(sample.image)
        keys.append(sample.key)
    if not images:
        raise ValueError(f"{split_dir}: no samples")
    if with_keys:
        return np.stack(images), np.stack(labels), keys
    return np.stack(images), np.stack(labels)
