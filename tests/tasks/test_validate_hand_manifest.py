"""GX suite of the hand manifests: a good set passes; each corruption is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tasks.validate_hand_manifest import validate_hand_manifests

S = 64


def _manifest(split: str, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lo = rng.uniform(2, 20, n)
    prefix = "nyusynth" if split == "synthetic" else f"nyureal-{split.split('_')[1]}"
    return pd.DataFrame({
        "key": [f"{prefix}-{i + 1:07d}" for i in range(n)],
        "split": split,
        "source_file": [f"train/depth_1_{i + 1:07d}.png" for i in range(n)],
        "frame": np.arange(1, n + 1), "kinect": 1,
        "center_u": rng.uniform(200, 400, n), "center_v": rng.uniform(150, 300, n),
        "center_d": rng.uniform(600, 900, n),
        "uv_min": lo, "uv_max": lo + rng.uniform(20, 40, n),
        "xyz_z_min": rng.uniform(550, 850, n), "valid_fraction": rng.uniform(0.1, 0.3, n),
        "image_mean": rng.uniform(50000, 62000, n), "image_std": rng.uniform(5000, 15000, n),
        "shard": "shard-000000.tar",
    })


def _good() -> dict[str, pd.DataFrame]:
    return {"synthetic": _manifest("synthetic", 30, 0),
            "real_train": _manifest("real_train", 20, 1),
            "real_test": _manifest("real_test", 12, 2)}


def test_good_manifests_pass_and_corruptions_are_named(tmp_path: Path) -> None:
    mins = {"synthetic": 10, "real_train": 10, "real_test": 10}
    report = validate_hand_manifests(_good(), min_counts=mins, crop_size=S,
                                     docs_dir=tmp_path / "good")
    assert report.success, report.summary()
    assert (tmp_path / "good" / "index.html").is_file()

    bad = _good()
    bad["synthetic"]["uv_max"] = bad["synthetic"]["uv_max"] + S  # joints leave the crop
    bad["real_train"].loc[3, "center_d"] = np.nan  # a null
    bad["real_test"] = bad["real_test"].head(5)  # too few rows
    bad["real_test"].loc[0, "key"] = bad["real_train"]["key"].iloc[0]  # key in two splits
    report = validate_hand_manifests(bad, min_counts=mins, crop_size=S, docs_dir=tmp_path / "bad")
    assert not report.success
    failed = {(r.split, r.expectation.split("(")[0], r.column) for r in report.failures()}
    assert failed == {
        ("synthetic", "expect_column_values_to_be_between", "uv_max"),
        ("real_train", "expect_column_values_to_not_be_null", "center_d"),
        ("real_test", "expect_table_row_count_to_be_between", ""),
        ("all_splits", "expect_column_values_to_be_unique", "key"),
    }, report.summary()
    assert "splits involved: real_test, real_train" in report.summary()


def test_a_fingertip_a_little_outside_passes_and_a_far_one_fails(tmp_path: Path) -> None:
    """A few crops with a joint just outside are valid hands; one joint a quarter of the
    crop out, or most crops' joints out, is a broken crop."""
    mins = {"synthetic": 10, "real_train": 10, "real_test": 10}
    near = _good()
    near["real_test"].loc[0, "uv_min"] = -1.6  # 1 of 12 crops: a stretched fingertip
    report = validate_hand_manifests(near, min_counts=mins, crop_size=S,
                                     docs_dir=tmp_path / "near")
    assert report.success, report.summary()

    far = _good()
    far["synthetic"].loc[0, "uv_min"] = -0.3 * S  # one crop, far out: fails on its own
    far["real_train"]["uv_min"] = far["real_train"]["uv_min"] - 25.0  # most crops, a bit out
    report = validate_hand_manifests(far, min_counts=mins, crop_size=S,
                                     docs_dir=tmp_path / "far")
    failed = {(r.split, r.column) for r in report.failures()}
    assert failed == {("synthetic", "uv_min"), ("real_train", "uv_min")}, report.summary()
    assert "-19.2" in report.summary()
