"""The dataset card written next to refined shards: what they are and how to load them."""

from __future__ import annotations

from typing import Any

import pandas as pd

# Per domain: (field, type, meaning with units) of the annotation JSON, top level first.
ANNOTATION_FIELDS: dict[str, list[tuple[str, str, str]]] = {
    "gaze": [
        ("domain", "string", '"gaze"'),
        ("eye", "string", '"left": right eyes were mirrored to left eyes at ingest'),
        ("gaze.pitch", "float", "radians; pitch = asin(-y) in the normalized camera "
                                "(x right, y down, z forward)"),
        ("gaze.yaw", "float", "radians; yaw = atan2(-x, -z)"),
        ("gaze.vector", "float[3]", "unit 3-D gaze (x, y, z), same camera"),
        ("head_pose.euler_deg", "float[3]", "UnityEyes head pose (pitch, yaw, roll), degrees"),
        ("landmarks.interior_margin", "float[16][2]", "eyelid margin (x, y), crop pixels, "
                                                      "top-left origin"),
        ("landmarks.caruncle", "float[7][2]", "caruncle (x, y), crop pixels"),
        ("landmarks.iris", "float[32][2]", "iris outline (x, y), crop pixels"),
        ("provenance", "object", "dataset, source_file (relative to the source root), "
                                 "subject, stored_eye, split"),
    ],
    "hand": [
        ("domain", "string", '"hand"'),
        ("joints_uv", "float[14][2]", "the 14 evaluated NYU joints (u, v), crop pixels, "
                                      "top-left origin"),
        ("joints_xyz_mm", "float[14][3]", "the same joints in the camera frame, mm, y up (NYU)"),
        ("cube_mm", "float", "edge of the metric cube around the palm centre, mm: stored 0 "
                             "is its near face, 65535 its far face (also holes, background)"),
        ("center_uvd", "float[3]", "palm-centre joint in the full frame: u px, v px, depth mm"),
        ("provenance", "object", "source (nyu_synthdepth | nyu_depth), file, frame "
                                 "(1-based), kinect"),
    ],
}

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


def dataset_card(domain: str, image_hw: tuple[int, int], dtype: str, manifest: pd.DataFrame,
                 shards: list[str], provenance: dict[str, Any], stats: dict[str, float]) -> str:
    """The card's Markdown. `stats` holds synthetic/refined/real_train mean image figures."""
    h, w = image_hw
    bits = 16 if dtype == "uint16" else 8
    fields = ANNOTATION_FIELDS.get(domain, [])
    return f"""# Refined {domain} shards

The whole synthetic `{domain}` corpus passed through a SimGAN refiner (Shrivastava et al.,
CVPR 2017): each image made to look like the real domain, each annotation kept as it was.
Written by the `refine_{domain}` stage of this project; do not edit by hand.

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
| `<key>.png` | PNG, {bits}-bit grayscale, {h} x {w} | the refined image |
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
    ...  # images: (B, 1, {h}, {w}) float32 in [-1, 1]; annotations: list of dicts
image, annotation = open_by_key("data/{domain}/shards/refined").get(key)  # random access
```
"""
