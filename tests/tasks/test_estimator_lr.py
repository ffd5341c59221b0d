"""experiments.estimator_lr on a tiny budget: synthetic images only, held out as asked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from experiments import common, estimator_lr

REPO_ROOT = Path(__file__).resolve().parents[2]


def _params(tmp_path: Path, shards: Path) -> Path:
    params = yaml.safe_load((REPO_ROOT / "params.yaml").read_text())
    params["train_estimator"]["hand"].update(shards_dir=str(shards), steps=3, batch_size=4,
                                             seeds=[0, 1])
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params))
    return path


def test_scores_each_lr_on_held_out_synthetic_without_real_splits(
        tmp_path: Path, hand_shards: Path) -> None:
    # No real image or label may be read: the real splits are removed before the run.
    for split in ("real_train", "real_test"):
        shutil.rmtree(hand_shards / split)
    out = tmp_path / "lr.json"

    result = estimator_lr.main(["--domain", "hand", "--lrs", "0.001,0.01", "--val", "8",
                                "--params", str(_params(tmp_path, hand_shards)),
                                "--out", str(out)])

    assert json.loads(out.read_text()) == result
    assert (result["n_train"], result["n_val"]) == (40, 8)  # 48 synthetic frames
    assert result["metric"] == "pck_5px" and result["lower_is_better"] is False
    assert sorted(result["lr"]) == ["0.001", "0.01"]
    for figures in result["lr"].values():
        assert len(figures["per_seed"]) == 2
        assert all(0.0 <= f <= 100.0 for f in figures["per_seed"])
        assert figures["mean"] == pytest.approx(sum(figures["per_seed"]) / 2, abs=1e-3)


def test_refuses_a_held_out_part_as_large_as_the_split(tmp_path: Path,
                                                       hand_shards: Path) -> None:
    with pytest.raises(SystemExit, match="--val 48"):
        estimator_lr.main(["--domain", "hand", "--lrs", "0.01", "--val", "48",
                           "--params", str(_params(tmp_path, hand_shards))])


def test_trains_the_preset_asked_and_records_it(tmp_path: Path, hand_shards: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")
    result = estimator_lr.main(["--domain", "hand", "--lrs", "0.01", "--val", "8",
                                "--preset", "paper",
                                "--params", str(_params(tmp_path, hand_shards))])
    assert result["estimator"]["preset"] == "paper"
    # beside the params' preset's result, not over it
    written = tmp_path / "results" / "hand_estimator_lr_paper.json"
    assert json.loads(written.read_text()) == result
    assert len(result["lr"]["0.01"]["per_seed"]) == 2
    with pytest.raises(ValueError, match="'no_such_preset'"):
        estimator_lr.main(["--domain", "hand", "--lrs", "0.01", "--val", "8",
                           "--preset", "no_such_preset",
                           "--params", str(_params(tmp_path, hand_shards))])
