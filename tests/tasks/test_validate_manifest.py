"""GX validation of the ingest manifests: a good set passes, each corruption is named.

GX takes ~5 s to import, so the module runs validate_manifests twice in all: once on
good manifests, once on a set whose every split carries exactly one corruption.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simgan_core.gaze.conventions import pitchyaw_to_gaze
from tasks.validate_manifest import ALL_SPLITS, ValidationReport, validate_manifests

IMAGE_HW = (35, 55)  # (H, W) gaze crop
BOUNDS = {"max_abs_pitch_deg": 40.0, "max_abs_yaw_deg": 50.0}


def _manifest(split: str, n: int, seed: int, landmarks: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pitchyaw = np.stack([rng.uniform(-0.4, 0.4, n), rng.uniform(-0.6, 0.6, n)], axis=1)
    gaze = pitchyaw_to_gaze(pitchyaw)  # (n, 3), z < 0
    df = pd.DataFrame({
        "key": [f"{split}-{i:05d}" for i in range(n)],
        "shard": [f"shard-{i // 8:06d}.tar" for i in range(n)],
        "split": split,
        "source_file": [f"{i}.jpg" for i in range(n)],
        "subject": "" if landmarks else "p00",
        "eye": "left",
        "pitch": pitchyaw[:, 0], "yaw": pitchyaw[:, 1],
        "gaze_x": gaze[:, 0], "gaze_y": gaze[:, 1], "gaze_z": gaze[:, 2],
        "image_mean": rng.uniform(60, 180, n), "image_std": rng.uniform(8, 40, n),
    })
    if landmarks:
        x0 = rng.uniform(2, 20, n)
        y0 = rng.uniform(2, 12, n)
        df["lm_x_min"], df["lm_x_max"] = x0, x0 + rng.uniform(10, 30, n)
        df["lm_y_min"], df["lm_y_max"] = y0, y0 + rng.uniform(5, 15, n)
    return df


def _run(manifests: dict[str, pd.DataFrame], docs: Path, min_count: int = 10) -> ValidationReport:
    return validate_manifests(
        manifests, min_counts=dict.fromkeys(manifests, min_count), image_hw=IMAGE_HW,
        docs_dir=docs, **BOUNDS)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> tuple[ValidationReport, Path]:
    docs = tmp_path_factory.mktemp("good") / "docs"
    manifests = {
        "synthetic": _manifest("synthetic", 40, 0, landmarks=True),
        "real_train": _manifest("real_train", 30, 1, landmarks=False),
        "real_test": _manifest("real_test", 20, 2, landmarks=False),
    }
    return _run(manifests, docs), docs


# split -> (column, expectation type) of the one failure its corruption must cause
EXPECTED_FAILURES = {
    "c_null": ("gaze_x", "expect_column_values_to_not_be_null"),
    "c_dupkey": ("key", "expect_column_values_to_be_unique"),
    "c_pitch": ("pitch", "expect_column_values_to_be_between"),
    "c_blank": ("image_std", "expect_column_values_to_be_between"),
    "c_landmark": ("lm_x_max", "expect_column_values_to_be_between"),
    "c_rows": ("", "expect_table_row_count_to_be_between"),
    "c_nocol": ("image_std", "expect_column_to_exist"),
    "c_away": ("gaze_z", "expect_column_values_to_be_between"),  # the "mostly z < 0" one
}


@pytest.fixture(scope="module")
def corrupt(tmp_path_factory: pytest.TempPathFactory) -> tuple[ValidationReport, Path]:
    m = {name: _manifest(name, 20, seed, landmarks=True)
         for seed, name in enumerate(EXPECTED_FAILURES)}
    m["c_null"].loc[3, "gaze_x"] = np.nan
    m["c_dupkey"].loc[5, "key"] = m["c_dupkey"].loc[4, "key"]
    m["c_pitch"].loc[2, "pitch"] = math.radians(80.0)
    m["c_blank"].loc[1, "image_std"] = 0.0
    m["c_landmark"].loc[0, "lm_x_max"] = IMAGE_HW[1] + 3.0
    m["c_rows"] = m["c_rows"].iloc[:5].copy()
    m["c_nocol"] = m["c_nocol"].drop(columns=["image_std"])
    m["c_away"]["gaze_z"] = -m["c_away"]["gaze_z"]  # every eye looks away from the camera
    m["c_cross"] = _manifest("c_cross", 20, 99, landmarks=False)
    m["c_cross"].loc[0, "key"] = m["c_null"].loc[7, "key"]  # same key in two splits
    docs = tmp_path_factory.mktemp("corrupt") / "docs"
    docs.mkdir()
    (docs / "stale.html").write_text("from an earlier run")
    return _run(m, docs), docs


def test_good_manifests_pass_and_build_docs(good: tuple[ValidationReport, Path]) -> None:
    report, docs = good
    assert report.success, report.summary()
    assert report.failures() == []
    assert (docs / "index.html").is_file()
    assert list(docs.glob("validations/**/*.html"))  # one page per validated split
    checked = {(r.split, r.column) for r in report.results}
    # the landmark bounds ran where the columns exist, and only there
    assert ("synthetic", "lm_y_max") in checked and ("real_test", "lm_y_max") not in checked
    assert {r.split for r in report.results} == {"synthetic", "real_train", "real_test", ALL_SPLITS}
    assert report.summary().startswith("manifest validation passed")
    rows = report.to_rows()
    assert len(rows) == len(report.results) and set(rows[0]) == {
        "split", "expectation", "column", "success", "observed"}


def test_each_corruption_fails_naming_split_and_column(
    corrupt: tuple[ValidationReport, Path],
) -> None:
    report, _ = corrupt
    assert not report.success
    failed = {(r.split, r.column, r.expectation.split("(")[0]) for r in report.failures()}
    for split, (column, kind) in EXPECTED_FAILURES.items():
        mine = {f for f in failed if f[0] == split}
        assert mine == {(split, column, kind)}, (split, mine)
    assert {f for f in failed if f[0] == "c_cross"} == set()  # fine on its own
    summary = report.summary()
    assert summary.startswith("manifest validation FAILED")
    assert "c_blank: expect_column_values_to_be_between(image_std >= 2.0) failed: " \
           "1 of 20 rows (5.0%), e.g. 0.0" in summary
    assert "c_pitch: expect_column_values_to_be_between(-0.6981 <= pitch <= 0.6981)" \
           " failed: 1 of 20 rows (5.0%), e.g. 1.396" in summary  # radians (80 deg)
    assert "c_dupkey: expect_column_values_to_be_unique(key) failed: 2 of 20 rows " \
           "(10.0%), e.g. 'c_dupkey-00004'\n" in summary
    assert "c_rows: expect_table_row_count_to_be_between(rows >= 10) failed: observed 5" \
           in summary
    assert "c_nocol: expect_column_to_exist(image_std) failed: column missing" in summary
    assert "c_away: expect_column_values_to_be_between(gaze_z < 0.0, mostly 0.95) failed: " \
           "20 of 20 rows (100.0%)" in summary
    for split, (column, _) in EXPECTED_FAILURES.items():
        assert any(line.startswith(f"  {split}: ") and column in line
                   for line in summary.splitlines()), split


def test_keys_shared_across_splits_fail(corrupt: tuple[ValidationReport, Path]) -> None:
    report, _ = corrupt
    [row] = [r for r in report.failures() if r.split == ALL_SPLITS]
    assert row.column == "key"
    assert "'c_null-00007'" in row.observed and "'c_dupkey-00004'" in row.observed
    assert row.observed.endswith("splits involved: c_cross, c_dupkey, c_null")


def test_docs_replace_old_content_even_on_failure(corrupt: tuple[ValidationReport, Path]) -> None:
    report, docs = corrupt
    assert report.docs_index == docs / "index.html" and report.docs_index.is_file()
    assert not (docs / "stale.html").exists()
    assert "c_blank" in (docs / "index.html").read_text()


def test_split_names_must_match_min_counts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="real_test"):
        validate_manifests(
            {"synthetic": pd.DataFrame()}, min_counts={"synthetic": 1, "real_test": 1},
            image_hw=IMAGE_HW, docs_dir=tmp_path, **BOUNDS)
