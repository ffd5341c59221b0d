"""Stage `train_refiner_hand`: the train_refiner flow for the hand (depth) domain."""

from __future__ import annotations

from flows.train_refiner import run_domain
from tasks.params import TrainRefiner


def run(cfg: TrainRefiner) -> dict:
    return run_domain(cfg, "hand")
