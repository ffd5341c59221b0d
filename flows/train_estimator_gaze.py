"""Stage `train_estimator_gaze@<training set>`: that set's estimators, one per seed,
trained side by side on a process pool (one torch thread each: on a small CPU, two
single-thread trainings outrun one two-thread training, and a result does not depend
on how many run at once)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.params import TrainEstimatorGaze, resolve_workers
from tasks.train_estimator import load_training_set, train_one, training_summary


@flow(name="train-estimator-gaze")
def train_estimator_gaze_flow(cfg: TrainEstimatorGaze, training_set: str) -> dict:
    data = load_training_set(Path(cfg.shards_dir), cfg.training_sets[training_set],
                             cfg.max_train_samples)
    futures = [train_one.submit(cfg, training_set, seed, data) for seed in cfg.seeds]
    records = [f.result() for f in futures]
    summary = training_summary(records)
    publish_summary(f"train-estimator-gaze-{training_set}", summary)
    return summary


def run(cfg: TrainEstimatorGaze, item: str | None = None) -> dict:
    if item not in cfg.training_sets:
        raise ValueError(f"train-estimator-gaze needs --item, one of {sorted(cfg.training_sets)}")
    runner = fan_out_runner(min(resolve_workers(cfg.workers), len(cfg.seeds)))
    return train_estimator_gaze_flow.with_options(task_runner=runner)(cfg, item)
