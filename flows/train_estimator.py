"""Stage `train_estimator_<domain>@<training set>`: that set's estimators, one per seed,
trained side by side on a process pool (one torch thread each: on a small CPU, two
single-thread trainings outrun one two-thread training, and a result does not depend
on how many run at once). Written once; the domain picks the estimator family."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.params import TrainEstimator, resolve_workers
from tasks.train_estimator import load_training_set, train_one, training_summary


@flow(name="train-estimator")
def train_estimator_flow(cfg: TrainEstimator, training_set: str, domain: str) -> dict:
    data = load_training_set(Path(cfg.shards_dir), cfg.training_sets[training_set],
                             cfg.max_train_samples, domain)
    futures = [train_one.submit(cfg, training_set, seed, data, domain) for seed in cfg.seeds]
    records = [f.result() for f in futures]
    summary = training_summary(records)
    publish_summary(f"train-estimator-{domain}-{training_set}", summary)
    return summary


def run_domain(cfg: TrainEstimator, item: str | None, domain: str) -> dict:
    """The flow under the stage's own name (train-estimator-gaze, train-estimator-hand)."""
    if item not in cfg.training_sets:
        raise ValueError(f"train-estimator-{domain} needs --item, one of "
                         f"{sorted(cfg.training_sets)}")
    runner = fan_out_runner(min(resolve_workers(cfg.workers), len(cfg.seeds)))
    return train_estimator_flow.with_options(
        name=f"train-estimator-{domain}", task_runner=runner)(cfg, item, domain)
