"""Great Expectations suite of the hand ingest manifests (one DataFrame per split).

Per split: enough rows, no nulls, unique keys, the split's own name, joints inside the
crop, the palm centre in the frame and in front of the camera, images that show a hand
(some pixels nearer than the back of the cube). Keys unique across splits and the Data
Docs come from tasks/validate_manifest.py (shared with gaze).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from simgan_core.hand.joints import FRAME_H, FRAME_W
from tasks.validate_manifest import ValidationReport, validate_split_manifests

HAND_COLUMNS = (
    "key", "shard", "split", "source_file", "frame", "kinect", "center_u", "center_v",
    "center_d", "uv_min", "uv_max", "xyz_z_min", "valid_fraction", "image_mean", "image_std",
)
# A 300 mm cube around the palm centre holds a hand in most poses; a stretched fingertip
# may leave it, by a little: no joint of any crop may be further out than a quarter of the
# crop (75 mm of the cube, more than a finger reaches beyond it), and in at least 90 % of
# the crops every joint is inside. A systematic error (a unit or scale slip, a wrong
# centre) sends joints far out, or most crops' joints out, and fails. A sound corpus can
# hold a few per cent of crops with a fingertip a pixel or two outside.
JOINT_MARGIN = 0.25  # of the crop side
JOINTS_INSIDE_MOSTLY = 0.9
MAX_DEPTH_MM = 10_000.0  # Kinect range: beyond is a unit error (m vs mm)
_STORED_MAX = 65535.0  # uint16 back of the cube


def _hand_expectations(gx: Any, df: pd.DataFrame, *, min_count: int, split: str,
                       crop_size: int) -> list[Any]:
    E = gx.expectations
    present = set(df.columns)
    out: list[Any] = [E.ExpectTableRowCountToBeBetween(min_value=min_count)]
    out += [E.ExpectColumnToExist(column=c) for c in HAND_COLUMNS if c not in present]
    out += [E.ExpectColumnValuesToNotBeNull(column=c) for c in df.columns]
    size = float(crop_size)
    out += [E.ExpectColumnValuesToBeBetween(column=c, min_value=-JOINT_MARGIN * size,
                                            max_value=(1.0 + JOINT_MARGIN) * size)
            for c in ("uv_min", "uv_max") if c in present]
    bounds: dict[str, dict[str, Any]] = {
        "uv_min": {"min_value": 0.0, "max_value": size, "mostly": JOINTS_INSIDE_MOSTLY},
        "uv_max": {"min_value": 0.0, "max_value": size, "mostly": JOINTS_INSIDE_MOSTLY},
        "center_u": {"min_value": 0.0, "max_value": float(FRAME_W)},
        "center_v": {"min_value": 0.0, "max_value": float(FRAME_H)},
        "center_d": {"min_value": 0.0, "max_value": MAX_DEPTH_MM, "strict_min": True},
        "xyz_z_min": {"min_value": 0.0, "strict_min": True},
        "valid_fraction": {"min_value": 0.0, "max_value": 1.0, "strict_min": True},
        # a crop all at the back (65535) shows no hand; all at the front is impossible
        "image_mean": {"min_value": 0.0, "max_value": _STORED_MAX, "strict_max": True},
        "image_std": {"min_value": 0.0, "strict_min": True},
        "frame": {"min_value": 1},
    }
    out += [E.ExpectColumnValuesToBeBetween(column=c, **kw) for c, kw in bounds.items()
            if c in present]
    if "key" in present:
        out.append(E.ExpectColumnValuesToBeUnique(column="key"))
    if "split" in present:
        out.append(E.ExpectColumnValuesToBeInSet(column="split", value_set=[split]))
    if {"uv_min", "uv_max"} <= present:
        out.append(E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="uv_max", column_B="uv_min", or_equal=True))
    return out


def validate_hand_manifests(manifests: dict[str, pd.DataFrame], *, min_counts: dict[str, int],
                            crop_size: int, docs_dir: Path) -> ValidationReport:
    """GX on every split's manifest; Data Docs into docs_dir. The caller raises on failure."""

    def split_suite(gx: Any, split: str, df: pd.DataFrame) -> list[Any]:
        return _hand_expectations(gx, df, min_count=min_counts[split], split=split,
                                  crop_size=crop_size)

    return validate_split_manifests(manifests, min_counts, split_suite, docs_dir)
