"""Stage `train_refiner_gaze`: the SimGAN refiner, trained, checkpointed, judged."""

from __future__ import annotations

from prefect import flow

from tasks.artifacts import publish_summary
from tasks.evaluate_refiner import evaluate_refiner
from tasks.params import TrainRefinerGaze
from tasks.train_refiner import train_refiner


@flow(name="train-refiner-gaze")
def train_refiner_gaze_flow(cfg: TrainRefinerGaze) -> dict:
    training = train_refiner(cfg)
    metrics = evaluate_refiner(cfg, training)
    publish_summary("train-refiner-gaze", metrics)
    return metrics


def run(cfg: TrainRefinerGaze) -> dict:
    return train_refiner_gaze_flow(cfg)
