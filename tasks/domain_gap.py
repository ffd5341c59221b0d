"""The synthetic-to-real gap, measured: one small regressor trained on synthetic
labels, one on the stand-in real training labels (the oracle), both tested on
real_test (subjects no training set contains)."""

from __future__ import annotations

import json
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_write_text
from simgan_core.gaze.regressor import RegressorConfig, mean_angular_error, train_regressor
from simgan_core.gaze.spec import GAZE
from tasks.progress import Progress
from tasks.splits import load_split


@task(name="measure-domain-gap", cache_policy=NO_CACHE)
def measure_domain_gap(shards_dir: Path, metrics_file: Path, cfg: RegressorConfig,
                       max_train_samples: int) -> dict:
    test_x, test_y = load_split(shards_dir / "real_test", 10**9, GAZE)
    result: dict = {"n_real_test": len(test_x), "steps": cfg.steps, "seed": cfg.seed}
    trained = (("synthetic", "synthetic"), ("real_oracle", "real_train"))
    progress = Progress("domain-gap-gaze", len(trained), "regressors trained and scored")
    for name, split in trained:
        x, y = load_split(shards_dir / split, max_train_samples, GAZE)
        model = train_regressor(x, y, cfg)
        result[f"{name}_mean_deg"] = round(mean_angular_error(model, test_x, test_y), 3)
        result[f"n_train_{name}"] = len(x)
        progress.advance(note=f"{name} {result[f'{name}_mean_deg']} deg")
    result["gap_deg"] = round(result["synthetic_mean_deg"] - result["real_oracle_mean_deg"], 3)
    atomic_write_text(metrics_file, json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result
