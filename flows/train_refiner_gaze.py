"""Stage `train_refiner_gaze`: the train_refiner flow for the gaze domain."""

from __future__ import annotations

from flows.train_refiner import run_domain
from tasks.params import TrainRefiner


def run(cfg: TrainRefiner) -> dict:
    return run_domain(cfg, "gaze")
