"""Stage `evaluate_hand`: every hand estimator on real_test -> evaluate.json (pck_5px,
mean_px, refined_gap_closed) and pck_curve.csv (percent of joints within d px)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from prefect import flow

from tasks.artifacts import publish_summary
from tasks.evaluate import evaluate_estimators, write_evaluation
from tasks.params import EvaluateHand


@flow(name="evaluate-hand")
def evaluate_hand_flow(cfg: EvaluateHand) -> dict:
    grid = np.arange(0.0, cfg.curve_max_px + cfg.curve_step_px / 2, cfg.curve_step_px)
    metrics, curves = evaluate_estimators(Path(cfg.shards_dir), Path(cfg.models_dir), grid,
                                          "hand")
    write_evaluation(Path(cfg.metrics_file), Path(cfg.curve_file), metrics, grid, curves,
                     "error_px")
    publish_summary("evaluate-hand", {
        name: {k: v for k, v in m.items() if k != "per_seed"} if isinstance(m, dict) else m
        for name, m in metrics.items()})
    return metrics


def run(cfg: EvaluateHand) -> dict:
    return evaluate_hand_flow(cfg)
