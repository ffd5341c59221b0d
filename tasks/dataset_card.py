"""The dataset card written next to refined shards: what they are and how to load them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from simgan_core.domain import Domain

REFINEMENT_FIELDS = [
    ("refinement.refiner_sha256", "string", "sha256 of the refiner checkpoint file"),
    ("refinement.refiner_run_key", "string", "the training run that made the refiner"),
    ("refinement.refiner_config", "object", "the refiner's training configuration "
                                            "(architecture, losses, schedule, seed)"),
    ("refinement.params", "object", "the refine settings that can change bytes"),
    ("refinement.project_version", "string", "version of this project (simgan_core)"),
]


def _table(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| field | type | meaning |", "|---|---|---|"]
    return "\n".join(lines + [f"| `{f}` | {t} | {m} |" for f, t, m in rows])


def dataset_card(spec: Domain, manifest: pd.DataFrame, shards: list[str],
                 provenance: dict[str, Any], stats: dict[str, float]) -> str:
    """The card's Markdown. `stats` holds synthetic/refined/real_train mean image figures."""
    domain, (h, w), c = spec.name, spec.image_hw, spec.channels
    bits = 8 * np.dtype(spec.dtype).itemsize
    kind = "grayscale" if c == 1 else "RGB"
    fields = list(spec.annotation_fields)
    return f"""# Refined {domain} shards

The whole synthetic `{domain}` corpus passed through a SimGAN refiner (Shrivastava et al.,
CVPR 2017): each image made to look like the real domain, each annotation kept as it was.
Written by the `refine@{domain}` stage of this project; do not edit by hand.

## Contents
- {len(manifest)} samples in {len(shards)} WebDataset tar shards ({shards[0]} ... {shards[-1]}),
  the same keys, in the same order, as `../synthetic/`.
- `index.json`: the shard index in the wids format (random access by position).
- `SHA256SUMS`: one checksum per shard (`sha256sum -c SHA256SUMS`).
- `manifest.parquet`: one row per sample: key, shard, source_shard, image_mean and
  image_std of the refined image, source_image_mean / source_image_std of the synthetic one
  (stored-pixel units), mean_abs_change (mean |refined - synthetic|, stored-pixel units),
  annotation_equal (the annotation survived byte for byte).

## A sample
| member | type | content |
|---|---|---|
| `<key>.png` | PNG, {bits}-bit {kind}, {h} x {w} | the refined image |
| `<key>.json` | UTF-8 JSON, sorted keys | the synthetic annotation + `refinement` |

Keys are `<source>-<id>` (no dots). Only `png` and `json` members exist: nothing to unpickle.

{_table(fields + REFINEMENT_FIELDS)}

## Provenance
- refiner checkpoint sha256 `{provenance["refiner_sha256"]}`
  (training run `{provenance["refiner_run_key"]}`), project version
  {provenance["project_version"]}.
- Mean image intensity (stored-pixel units): synthetic {stats["synthetic_mean"]:.2f},
  refined {stats["refined_mean"]:.2f}, real_train {stats["real_mean"]:.2f}; mean
  per-image standard deviation: synthetic {stats["synthetic_std"]:.2f}, refined
  {stats["refined_std"]:.2f}, real_train {stats["real_std"]:.2f}.
- In the default run the "real" images come from the project's stand-in real camera,
  not from a public dataset.

## Load them
```python
from simgan_core.streaming import open_by_key, stream_batches
for images, annotations in stream_batches("data/{domain}/shards/refined", batch_size=64):
    ...  # images: (B, {c}, {h}, {w}) float32 in [-1, 1]; annotations: list of dicts
image, annotation = open_by_key("data/{domain}/shards/refined").get(key)  # random access
```
"""
