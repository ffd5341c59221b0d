"""Stage `train_estimator_gaze@<training set>`: the train_estimator flow for gaze."""

from __future__ import annotations

from flows.train_estimator import run_domain
from tasks.params import TrainEstimator


def run(cfg: TrainEstimator, item: str | None = None) -> dict:
    return run_domain(cfg, item, "gaze")
