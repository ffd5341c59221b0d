"""The evaluation's guards and arithmetic: real_test is held out (checked), per-seed
figures aggregate to mean and sample standard deviation, training sets keep their order."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from simgan_core.gaze.spec import GAZE
from simgan_core.hand.spec import HAND
from tasks.evaluate import _aggregate, check_leak_free, estimator_files
from tasks.params import TrainingSet, load_params

REPO_ROOT = Path(__file__).resolve().parents[2]


def _manifests(root: Path, splits: dict[str, list[tuple[str, str | None]]]) -> Path:
    for split, rows in splits.items():
        (root / split).mkdir(parents=True)
        pd.DataFrame(rows, columns=["key", "subject"]).to_parquet(
            root / split / "manifest.parquet")
    return root


def _clean(root: Path) -> Path:
    return _manifests(root, {
        "real_test": [("mpiigaze-p10-1", "p10"), ("mpiigaze-p11-1", "p11")],
        "real_train": [("mpiigaze-p00-1", "p00")],
        "synthetic": [("unityeyes-1", None)], "refined": [("unityeyes-1", None)]})


def test_held_out_data_passes(tmp_path: Path) -> None:
    check_leak_free(_clean(tmp_path), {"synthetic", "refined", "real_train"}, "gaze")


def test_a_test_subject_in_real_train_is_a_leak(tmp_path: Path) -> None:
    root = _clean(tmp_path)
    pd.DataFrame([("mpiigaze-p00-1", "p00"), ("mpiigaze-p11-9", "p11")],
                 columns=["key", "subject"]).to_parquet(root / "real_train" / "manifest.parquet")
    with pytest.raises(ValueError, match=r"real_test subjects \['p11'\] are also in real_train"):
        check_leak_free(root, {"synthetic"}, "gaze")


def test_a_test_key_in_a_training_split_is_a_leak(tmp_path: Path) -> None:
    root = _clean(tmp_path)
    pd.DataFrame([("unityeyes-1", None), ("mpiigaze-p10-1", None)],
                 columns=["key", "subject"]).to_parquet(root / "refined" / "manifest.parquet")
    with pytest.raises(ValueError, match="1 real_test samples are in the training split 'refined'"):
        check_leak_free(root, {"refined"}, "gaze")


def test_real_test_cannot_be_a_training_split() -> None:
    with pytest.raises(ValidationError, match="real_test is held out"):
        TrainingSet(split="real_test", augment=False)
    cfg = load_params(REPO_ROOT / "params.yaml").stage_config("train_estimator", "gaze")
    allowed = re.compile(r"synthetic|refined|real_train|candidates/refined_seed\d+")
    assert all(allowed.fullmatch(s.split) for s in cfg.training_sets.values())
    assert len(cfg.seeds) >= 3


def test_seeds_aggregate_to_mean_and_sample_std() -> None:
    per_seed = {"0": {"mean_deg": 8.0, "median_deg": 7.0, "within_7deg": 40.0},
                "1": {"mean_deg": 10.0, "median_deg": 9.0, "within_7deg": 30.0},
                "2": {"mean_deg": 12.0, "median_deg": 11.0, "within_7deg": 20.0}}
    out = _aggregate(per_seed)
    assert out["mean_deg"] == 10.0 and out["mean_deg_std"] == 2.0  # ddof=1
    assert out["within_7deg"] == 30.0 and out["within_7deg_std"] == 10.0
    assert out["seeds"] == 3 and out["per_seed"] == per_seed


def test_training_sets_come_in_the_table_order(tmp_path: Path) -> None:
    for name in ("real_oracle", "refined", "zz_custom", "synthetic", "empty"):
        (tmp_path / name).mkdir()
        if name != "empty":
            (tmp_path / name / "seed0.pt").write_bytes(b"")
    assert list(estimator_files(tmp_path)) == ["synthetic", "refined", "real_oracle",
                                               "zz_custom"]


def test_refiner_seeds_block_summarises_the_seed_study() -> None:
    from tasks.evaluate import refiner_seeds_block

    metrics = {"synthetic": {"mean_deg": 10.0}, "refined": {"mean_deg": 8.0},
               "refined_seed0": {"mean_deg": 9.0}, "refined_seed1": {"mean_deg": 8.0},
               "refined_seed2": {"mean_deg": 11.0}}
    block = refiner_seeds_block(metrics, GAZE)
    assert block["metric"] == "refined_over_synthetic"
    assert block["per_seed"] == {"0": 0.9, "1": 0.8, "2": 1.1}
    assert (block["mean"], block["min"], block["max"]) == (0.933, 0.8, 1.1)
    assert block["real_test_ranking"] == [1, 0, 2]  # lower error first
    hand = {"synthetic": {"pck_5px": 20.0}, "real_oracle": {"pck_5px": 30.0},
            "refined": {"pck_5px": 25.0}, "refined_seed0": {"pck_5px": 22.0},
            "refined_seed1": {"pck_5px": 28.0}}
    block = refiner_seeds_block(hand, HAND)
    assert block["per_seed"] == {"0": 0.2, "1": 0.8} and block["real_test_ranking"] == [1, 0]
    assert refiner_seeds_block({"synthetic": {"mean_deg": 1.0}}, GAZE) is None
