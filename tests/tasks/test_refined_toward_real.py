"""The refined corpus's image-statistics gate: a shard may drift a little away from
real_train's statistics (a refiner matching texture on a corpus already near real's
level), but not by more than TOWARD_REAL_TOLERANCE of the real images' pixel spread."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tasks.refine_outputs import TOWARD_REAL_TOLERANCE, validate_refined

REAL_STD = 12_600.0  # stored units: a depth corpus's spread


def _inputs(tmp_path: Path, moved_away: list[float]) -> tuple[pd.DataFrame, pd.DataFrame, Path]:
    keys = [f"k{i}" for i in range(len(moved_away))]
    manifest = pd.DataFrame({"key": keys, "annotation_equal": True, "image_mean": 1.0,
                             "image_std": 1.0, "mean_abs_change": 0.1})
    source = tmp_path / "source.parquet"
    manifest[["key"]].to_parquet(source)
    per_shard = pd.DataFrame({"shard": [f"s{i}" for i in range(len(moved_away))],
                              "dist_source_to_real": 135.0,
                              "dist_refined_to_real": [135.0 + m for m in moved_away]})
    return manifest, per_shard, source


def test_a_little_away_passes_far_away_fails(tmp_path: Path) -> None:
    manifest, per_shard, source = _inputs(tmp_path, [-250.0, 60.0, 0.0])
    assert "passed" in validate_refined.fn(manifest, per_shard, source, tmp_path / "ok",
                                           REAL_STD)
    far = TOWARD_REAL_TOLERANCE * REAL_STD + 1.0
    manifest, per_shard, source = _inputs(tmp_path, [-250.0, far, 0.0])
    with pytest.raises(ValueError, match="moved_away_from_real"):
        validate_refined.fn(manifest, per_shard, source, tmp_path / "bad", REAL_STD)
    assert "passed" in validate_refined.fn(manifest, per_shard, source, tmp_path / "off",
                                           REAL_STD, toward_real=False)
