"""Stage `evaluate@<domain>`: every estimator of the domain on real_test -> evaluate.json
(the domain's metrics per training set, its headline, the spread over refiner seeds) and
the cumulative error curve (the share of images or joints within each threshold)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from prefect import flow

from simgan_core.domain import get_domain
from tasks.artifacts import publish_summary
from tasks.evaluate import evaluate_estimators, write_evaluation
from tasks.params import Evaluate


@flow(name="evaluate")
def evaluate_flow(cfg: Evaluate, domain: str) -> dict:
    grid = np.arange(0.0, cfg.curve_max + cfg.curve_step / 2, cfg.curve_step)
    metrics, curves = evaluate_estimators(Path(cfg.shards_dir), Path(cfg.models_dir), grid,
                                          domain)
    write_evaluation(Path(cfg.metrics_file), Path(cfg.curve_file), metrics, grid, curves,
                     get_domain(domain).report.curve.x_column)
    publish_summary(f"evaluate-{domain}", {
        name: {k: v for k, v in m.items() if k != "per_seed"} if isinstance(m, dict) else m
        for name, m in metrics.items()})
    return metrics


def run(cfg: Evaluate, domain: str) -> dict:
    return evaluate_flow.with_options(name=f"evaluate-{domain}")(cfg, domain)
