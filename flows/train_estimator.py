"""Stage `train_estimator@<domain>`: the domain's estimators, one per (training set,
seed), trained side by side on a process pool (one torch thread each: on a small CPU, two
single-thread trainings outrun one two-thread training, and a result does not depend on
how many run at once). Written once; the domain picks the estimator family. A training
set whose data equal an earlier set's (the published `refined` corpus is one candidate's)
gets that set's estimators, copied, not retrained. A label-matched set (its
`pseudo_labeler`) trains after the sets whose estimators pseudo-label its data.

One stage trains every training set, because DVC cannot look a set's split up per domain
inside a foreach: a new refiner therefore retrains the synthetic and real_oracle sets too.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.params import TrainEstimator, resolve_workers
from tasks.train_estimator import (
    copy_estimator,
    load_training_set,
    train_one,
    training_data_digest,
    training_summary,
)


@flow(name="train-estimator")
def train_estimator_flow(cfg: TrainEstimator, domain: str) -> dict:
    records, copies, first_with = {}, {}, {}
    # Two rounds: a label-matched set needs its pseudo-labeler's estimators on disk first.
    for matched in (False, True):
        trained, copied = {}, {}
        for name, training_set in cfg.training_sets.items():
            if (training_set.pseudo_labeler is not None) != matched:
                continue
            data = load_training_set(Path(cfg.shards_dir), training_set,
                                     cfg.max_train_samples, domain)
            # A set whose data and settings equal an earlier set's (the published refined
            # corpus is one candidate's) reuses that set's estimators, not retrained.
            same_as = first_with.setdefault(
                (training_data_digest(data), training_set.augment,
                 training_set.pseudo_labeler), name)
            if same_as != name:
                copied[name] = same_as
                continue
            trained[name] = [train_one.submit(cfg, name, seed, data, domain)
                             for seed in cfg.seeds]
        records.update({name: [f.result() for f in futures]
                        for name, futures in trained.items()})
        for name, same_as in copied.items():
            records[name] = [copy_estimator(cfg, name, seed, same_as) for seed in cfg.seeds]
        copies.update(copied)
    summary = {name: training_summary(records[name]) for name in cfg.training_sets}
    for name, same_as in copies.items():
        summary[name]["same_estimators_as"] = same_as
    publish_summary(f"train-estimator-{domain}", summary)
    return summary


def run(cfg: TrainEstimator, domain: str) -> dict:
    runner = fan_out_runner(min(resolve_workers(cfg.workers),
                                len(cfg.seeds) * len(cfg.training_sets)))
    return train_estimator_flow.with_options(
        name=f"train-estimator-{domain}", task_runner=runner)(cfg, domain)
