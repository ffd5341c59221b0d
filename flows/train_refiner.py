"""Stage `train_refiner_<domain>`: the SimGAN refiner, trained, checkpointed, judged."""

from __future__ import annotations

from prefect import flow

from tasks.artifacts import publish_summary
from tasks.evaluate_refiner import evaluate_refiner
from tasks.params import TrainRefiner
from tasks.train_refiner import train_refiner


@flow(name="train-refiner")
def train_refiner_flow(cfg: TrainRefiner, domain: str) -> dict:
    training = train_refiner(cfg, domain)
    metrics = evaluate_refiner(cfg, training, domain)
    publish_summary(f"train-refiner-{domain}", metrics)
    return metrics


def run_domain(cfg: TrainRefiner, domain: str) -> dict:
    """The flow under the stage's own name (train-refiner-gaze, train-refiner-hand)."""
    return train_refiner_flow.with_options(name=f"train-refiner-{domain}")(cfg, domain)
