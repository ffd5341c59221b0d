"""NYU frames -> canonical hand samples: crop, annotation JSON and manifest row.

The annotation is the contract of simgan_core/hand/__init__.py (sorted keys when
encoded): domain, joints_uv (14, 2) crop px, joints_xyz_mm (14, 3), cube_mm,
center_uvd (3,), provenance {source, file, frame, kinect}. Floats are rounded (3
decimals: 1/1000 px, 1 micrometre) so the JSON bytes are short and stable.

Keys have no dots: `nyusynth-0000001` (synthdepth frame 1 of the synthetic train
folder), `nyureal-train-0000001`, `nyureal-test-0000001` (real Kinect frames).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simgan_core.hand.crop import crop_hand
from simgan_core.hand.joints import EVAL_JOINTS, PALM_CENTRE
from simgan_core.ingest_records import CanonicalSample

# NYU file prefix -> provenance source
SOURCE_OF_PREFIX = {"synthdepth": "nyu_synthdepth", "depth": "nyu_depth"}
# Position of the palm centre among the 14 evaluated joints.
PALM_IN_EVAL = EVAL_JOINTS.index(PALM_CENTRE)


def frame_key(prefix: str, split_folder: str, number: int) -> str:
    """Sample key of one frame: synthdepth -> nyusynth-NNNNNNN; depth -> nyureal-<folder>-N."""
    if prefix == "synthdepth":
        return f"nyusynth-{number:07d}"
    return f"nyureal-{split_folder}-{number:07d}"


def _rounded(array: np.ndarray) -> list:
    return np.round(np.asarray(array, dtype=np.float64), 3).tolist()


def from_nyu_frame(depth_mm: np.ndarray, uvd: np.ndarray, xyz: np.ndarray, *, key: str,
                   source: str, file: str, frame: int, kinect: int, split: str,
                   cube_mm: float, size: int) -> CanonicalSample:
    """One decoded frame and its 14 evaluated joints -> a canonical sample.

    depth_mm (480, 640) uint16 mm; uvd, xyz (14, 3) in EVAL_JOINTS order (u px, v px,
    d mm / mm, y up); raises CropError when the crop is undefined (palm centre behind
    the camera or out of frame, no depth around it).
    """
    uvd = np.asarray(uvd, dtype=np.float64)
    xyz = np.asarray(xyz, dtype=np.float64)
    if not (np.isfinite(uvd).all() and np.isfinite(xyz).all()):
        raise ValueError("joint coordinates are not finite")
    center = uvd[PALM_IN_EVAL]
    crop = crop_hand(depth_mm, center, uvd[:, :2], cube_mm=cube_mm, size=size)
    joints_uv = _rounded(crop.joints_uv)
    annotation: dict[str, Any] = {
        "domain": "hand",
        "joints_uv": joints_uv,
        "joints_xyz_mm": _rounded(xyz),
        "cube_mm": float(cube_mm),
        "center_uvd": _rounded(center),
        "provenance": {"source": source, "file": file, "frame": int(frame),
                       "kinect": int(kinect)},
    }
    uv = np.asarray(joints_uv)
    image = crop.image
    row = {
        "key": key, "split": split, "source_file": file, "frame": int(frame),
        "kinect": int(kinect),
        "center_u": float(center[0]), "center_v": float(center[1]), "center_d": float(center[2]),
        "uv_min": float(uv.min()), "uv_max": float(uv.max()),  # crop px, both axes
        "xyz_z_min": float(xyz[:, 2].min()),
        "valid_fraction": round(crop.valid_fraction, 6),
        "image_mean": float(image.mean()), "image_std": float(image.std()),  # 0..65535
    }
    return CanonicalSample(key, image, annotation, row)
