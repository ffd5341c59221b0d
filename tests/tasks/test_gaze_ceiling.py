"""experiments.gaze_ceiling on a tiny budget: trains, scores real_test, writes its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import yaml

from experiments import gaze_ceiling
from simgan_core.gaze.stand_in_pairs import perfect_refined
from simgan_core.shards import encode_sample, write_shard_set

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_writes_the_ceiling_next_to_the_pipeline_figures(tmp_path: Path,
                                                         monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    images, labels = perfect_refined(12, seed=3, hw=(35, 55))  # stands in for real_test
    annotations = [{"domain": "gaze", "eye": "left",
                    "gaze": {"pitch": float(p), "yaw": float(y), "vector": [0, 0, -1]}}
                   for p, y in labels]
    write_shard_set(tmp_path / "shards" / "real_test",
                    (encode_sample(f"real-{i}", im, a)
                     for i, (im, a) in enumerate(zip(images, annotations, strict=True))),
                    maxcount=8)
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["train_estimator_gaze"].update(shards_dir=str(tmp_path / "shards"), steps=3,
                                          batch_size=4, seeds=[0, 1])
    params["evaluate_gaze"]["metrics_file"] = str(tmp_path / "evaluate.json")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "evaluate.json").write_text(json.dumps({
        name: {"mean_deg": deg, "n_train": 10} for name, deg in
        (("synthetic", 10.0), ("refined", 10.5), ("real_oracle", 7.0))}))

    out = tmp_path / "ceiling.json"
    result = gaze_ceiling.main(["--params", "params.yaml", "--out", str(out)])

    assert json.loads(out.read_text()) == result
    assert result["n_train"] == 10 and result["n_real_test"] == 12  # n from the metrics
    assert len(result["perfect_refined_per_seed"]) == 2
    assert all(np.isfinite(result["perfect_refined_per_seed"]))
    assert result["perfect_refined_over_synthetic"] == round(
        result["perfect_refined_mean_deg"] / 10.0, 3)
