"""Stage `domain_gap_gaze`: how much worse synthetic training does on real eyes."""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from simgan_core.gaze.regressor import RegressorConfig
from tasks.artifacts import publish_summary
from tasks.domain_gap import measure_domain_gap
from tasks.params import DomainGapGaze


@flow(name="domain-gap-gaze")
def domain_gap_gaze_flow(cfg: DomainGapGaze) -> dict:
    regressor = RegressorConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                                width=cfg.width, seed=cfg.seed)
    result = measure_domain_gap(Path(cfg.shards_dir), Path(cfg.metrics_file), regressor,
                                cfg.max_train_samples)
    publish_summary("domain-gap-gaze", result)
    return result


def run(cfg: DomainGapGaze) -> dict:
    return domain_gap_gaze_flow(cfg)
