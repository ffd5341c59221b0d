"""experiments.ceiling on a tiny budget: trains, scores real_test, writes its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from experiments import ceiling, label_shift_floor
from simgan_core.gaze.stand_in_pairs import perfect_refined
from simgan_core.shards import encode_sample, write_shard_set

REPO_ROOT = Path(__file__).resolve().parents[2]


def _params(tmp_path: Path, domain: str, shards: Path, evaluation: dict) -> Path:
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["train_estimator"][domain].update(shards_dir=str(shards), steps=3, batch_size=4,
                                              seeds=[0, 1])
    params["evaluate"][domain]["metrics_file"] = str(tmp_path / "evaluate.json")
    (tmp_path / "evaluate.json").write_text(json.dumps(
        {name: {**figures, "n_train": 10} for name, figures in evaluation.items()}))
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_gaze_ceiling_is_set_against_synthetic(tmp_path: Path) -> None:
    images, labels = perfect_refined(12, seed=3, hw=(35, 55))  # stands in for real_test
    write_shard_set(tmp_path / "shards" / "real_test",
                    (encode_sample(f"real-{i}", im, {"domain": "gaze", "eye": "left", "gaze": {
                        "pitch": float(p), "yaw": float(y), "vector": [0, 0, -1]}})
                     for i, (im, (p, y)) in enumerate(zip(images, labels, strict=True))),
                    maxcount=8)
    params = _params(tmp_path, "gaze", tmp_path / "shards", {
        name: {"mean_deg": deg} for name, deg in (("synthetic", 10.0), ("synthetic_aug", 9.5),
                                                  ("refined", 10.5), ("real_oracle", 7.0))})
    out = tmp_path / "ceiling.json"

    result = ceiling.main(["--domain", "gaze", "--params", str(params), "--out", str(out)])

    assert json.loads(out.read_text()) == result
    assert result["n_train"] == 10 and result["n_real_test"] == 12  # n from the metrics
    assert result["metric"] == "mean_deg" and result["pipeline"]["refined"] == 10.5
    assert len(result["perfect_refined_per_seed"]) == 2
    assert all(np.isfinite(result["perfect_refined_per_seed"]))
    assert result["perfect_refined_over_synthetic"] == round(result["perfect_refined"] / 10.0, 3)


def test_hand_ceiling_is_set_against_the_gap(tmp_path: Path, hand_shards: Path) -> None:
    params = _params(tmp_path, "hand", hand_shards, {
        name: {"pck_5px": pck} for name, pck in (("synthetic", 20.0), ("synthetic_aug", 18.0),
                                                 ("refined", 22.0), ("real_oracle", 30.0))})

    result = ceiling.main(["--domain", "hand", "--params", str(params),
                           "--out", str(tmp_path / "hand.json")])

    assert result["metric"] == "pck_5px" and result["n_real_test"] == 24
    assert 0 < result["n_train"] <= 10  # frames whose palm leaves the image are left out
    assert result["perfect_refined_gap_closed"] == pytest.approx(
        (result["perfect_refined"] - 20.0) / 10.0, abs=1e-3)


def test_compare_without_a_gap_says_none() -> None:
    same = {"synthetic": {"pck_5px": 25.0}, "real_oracle": {"pck_5px": 25.0}}
    assert ceiling.compare("hand", 30.0, same) == {"perfect_refined_gap_closed": None}


@pytest.mark.parametrize(("domain", "metric"), [("gaze", "gaze_shift_deg"),
                                                ("hand", "joint_shift_px_224")])
def test_label_shift_floor_reads_the_stage_judge_on_paired_views(
        tmp_path: Path, domain: str, metric: str) -> None:
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    refiner_json = tmp_path / "refiner.json"
    refiner_json.write_text(json.dumps({metric: 1.5, "refiner_seeds": {
        "0": {metric: 1.5}, "1": {metric: 2.5}}}))
    params["train_refiner"][domain].update(metrics_file=str(refiner_json), regressor_steps=3)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))

    result = label_shift_floor.main(["--domain", domain, "--n", "8", "--params", str(path),
                                     "--out", str(tmp_path / "floor.json")])

    assert json.loads((tmp_path / "floor.json").read_text()) == result
    assert result["metric"] == metric and 0 < result["n_pairs"] <= 8
    assert result["perfect_refiner"] == result["perfect_refiner_metrics"][metric]
    assert np.isfinite(result["perfect_refiner"]) and result["perfect_refiner"] > 0
    assert result["pipeline"] == {"published": 1.5, "per_seed": {"0": 1.5, "1": 2.5}}
