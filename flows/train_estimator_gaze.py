"""Stage `train_estimator_gaze@<training set>`: that set's estimators, one per seed."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from tasks.artifacts import publish_summary
from tasks.params import TrainEstimatorGaze
from tasks.train_estimator import load_training_set, train_one, training_summary


@flow(name="train-estimator-gaze")
def train_estimator_gaze_flow(cfg: TrainEstimatorGaze, training_set: str) -> dict:
    data = load_training_set(Path(cfg.shards_dir), cfg.training_sets[training_set],
                             cfg.max_train_samples)
    records = [train_one(cfg, training_set, seed, data) for seed in cfg.seeds]
    summary = training_summary(records)
    publish_summary(f"train-estimator-gaze-{training_set}", summary)
    return summary


def run(cfg: TrainEstimatorGaze, item: str | None = None) -> dict:
    if item not in cfg.training_sets:
        raise ValueError(f"train-estimator-gaze needs --item, one of {sorted(cfg.training_sets)}")
    return train_estimator_gaze_flow(cfg, item)
