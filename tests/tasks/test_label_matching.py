"""Label-matched training sets: the schema checks their pseudo-labeler, and the stage
trains them after it, from real_train's pixels alone (its annotations carry no label
here, so a read of a real label would fail)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from gaze_shards import write_gaze_split
from pydantic import ValidationError

from flows.train_estimator import run as train_estimators
from simgan_core.shard_index import write_index, write_sha256sums
from simgan_core.shards import encode_sample, write_shard_set
from tasks.params import TrainEstimator, TrainingSet, check_pseudo_labelers

pytestmark = pytest.mark.slow


def _set(split: str, labeler: str | None = None) -> TrainingSet:
    return TrainingSet(split=split, augment=False, pseudo_labeler=labeler)


@pytest.mark.parametrize(("sets", "message"), [
    ({"m": _set("synthetic", "nowhere")}, "'nowhere' is not another training set"),
    ({"m": _set("synthetic", "m")}, "'m' is not another training set"),
    ({"a": _set("synthetic"), "b": _set("synthetic", "a"), "c": _set("synthetic", "b")},
     "'b' is not another training set without a pseudo_labeler"),
    ({"r": _set("refined"), "m": _set("synthetic", "r")}, "trains on 'refined'"),
    ({"o": _set("real_train"), "m": _set("real_train", "o")}, "real_train has real labels"),
])
def test_a_pseudo_labeler_must_be_another_unmatched_set_on_the_same_split(
        sets: dict[str, TrainingSet], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_pseudo_labelers(sets)


def test_the_stage_schema_refuses_a_bad_pseudo_labeler() -> None:
    with pytest.raises(ValidationError, match="is not another training set"):
        TrainEstimator(shards_dir="s", models_dir="m", preset="default", steps=1,
                       batch_size=1, lr=1e-3, seeds=[0], max_train_samples=1, workers=1,
                       threads=1, training_sets={"m": _set("synthetic", "x")})


def _unlabelled_real_train(out: Path, n: int) -> None:
    """n gaze images whose annotations hold no gaze: the real labels are not there."""
    rng = np.random.default_rng(7)
    samples = (encode_sample(f"real-{i}", rng.integers(90, 160, (35, 55), dtype=np.uint8),
                             {"domain": "gaze"}) for i in range(n))
    shards = write_shard_set(out, samples, maxcount=16)
    write_index(out, shards, name=out.name)
    write_sha256sums(out, shards)


def test_a_matched_set_trains_from_real_pixels_after_its_labeler(
        tmp_path: Path, prefect_api: str) -> None:
    shards = tmp_path / "shards"
    write_gaze_split(shards / "synthetic", 48, brightness=40, seed=0)
    _unlabelled_real_train(shards / "real_train", 40)
    models = tmp_path / "models"
    summary = train_estimators(TrainEstimator(
        shards_dir=str(shards), models_dir=str(models), preset="default", steps=20,
        batch_size=8, lr=1e-3, seeds=[0, 1], max_train_samples=100, workers=1, threads=1,
        training_sets={"synthetic_matched": _set("synthetic", "synthetic"),
                       "synthetic": _set("synthetic")}), "gaze")
    for seed in (0, 1):
        assert (models / "synthetic_matched" / f"seed{seed}.pt").is_file()
    matching = summary["synthetic_matched"]["label_matching"]
    assert [m["pseudo_labeler"] for m in matching] == ["synthetic", "synthetic"]
    assert all(m["real_images"] == 40 and 0.0 <= m["heldout_accuracy"] <= 1.0
               and 0.0 < m["effective_fraction"] <= 1.0 for m in matching)
    assert "label_matching" not in summary["synthetic"]
    plain = torch.load(models / "synthetic" / "seed0.pt", weights_only=True)
    matched = torch.load(models / "synthetic_matched" / "seed0.pt", weights_only=True)
    assert matched["label_matching"]["pseudo_labeler"] == "synthetic"
    # the same data, seed and budget: only the weighted draws make them differ
    assert any(not torch.equal(plain["state_dict"][k], matched["state_dict"][k])
               for k in plain["state_dict"])
