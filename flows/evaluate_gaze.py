"""Stage `evaluate_gaze`: every estimator on real_test -> evaluate.json, error_cdf.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from prefect import flow

from tasks.artifacts import publish_summary
from tasks.evaluate import evaluate_estimators, write_evaluation
from tasks.params import EvaluateGaze


@flow(name="evaluate-gaze")
def evaluate_gaze_flow(cfg: EvaluateGaze) -> dict:
    grid = np.arange(0.0, cfg.cdf_max_deg + cfg.cdf_step_deg / 2, cfg.cdf_step_deg)
    metrics, cdfs = evaluate_estimators(Path(cfg.shards_dir), Path(cfg.models_dir), grid,
                                        "gaze")
    write_evaluation(Path(cfg.metrics_file), Path(cfg.cdf_file), metrics, grid, cdfs)
    publish_summary("evaluate-gaze", {
        name: {k: v for k, v in m.items() if k != "per_seed"} if isinstance(m, dict) else m
        for name, m in metrics.items()})
    return metrics


def run(cfg: EvaluateGaze) -> dict:
    return evaluate_gaze_flow(cfg)
