"""Every downstream estimator on real_test: angular errors, their summary per training
set (mean and standard deviation over seeds), the error CDF (the paper's Fig. 7).

Leak-free by check, not only by construction: before anything is scored, real_test's
subjects must be absent from real_train (what the refiner and the oracle saw), and its
keys absent from every split an estimator was trained on.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_write_text
from simgan_core.gaze.estimator import angular_errors_deg, error_cdf, error_summary
from tasks.domain_gap import load_split
from tasks.ingest_outputs import MANIFEST_NAME
from tasks.train_estimator import load_estimator

# The order of the results table; other names follow, sorted.
TRAINING_SET_ORDER = ("synthetic", "synthetic_aug", "refined", "real_oracle")
METRICS = ("mean_deg", "median_deg", "within_7deg")


def _manifest(shards_dir: Path, split: str, columns: list[str]) -> pd.DataFrame:
    path = shards_dir / split / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing (needed to prove real_test is held out)")
    return pd.read_parquet(path, columns=columns)


def check_leak_free(shards_dir: Path, train_splits: set[str]) -> None:
    """Raise ValueError naming the overlap when real_test leaks into any training data."""
    test = _manifest(shards_dir, "real_test", ["key", "subject"])
    real_train = _manifest(shards_dir, "real_train", ["key", "subject"])
    shared = sorted(set(test["subject"]) & set(real_train["subject"]))
    if shared:
        raise ValueError(f"real_test subjects {shared} are also in real_train, which trains "
                         "the refiner and the oracle: the evaluation would not be held out")
    test_keys = set(test["key"])
    for split in sorted(train_splits | {"real_train"}):
        keys = set(_manifest(shards_dir, split, ["key"])["key"])
        if leaked := sorted(keys & test_keys):
            raise ValueError(f"{len(leaked)} real_test samples are in the training split "
                             f"{split!r}, e.g. {leaked[:3]}")


def estimator_files(models_dir: Path) -> dict[str, list[Path]]:
    """training set -> its seed files, in the results table's order."""
    found = {d.name: sorted(d.glob("seed*.pt")) for d in sorted(models_dir.iterdir())
             if d.is_dir()}
    found = {name: files for name, files in found.items() if files}
    if not found:
        raise FileNotFoundError(f"{models_dir}: no estimators (run train_estimator_gaze)")
    order = [n for n in TRAINING_SET_ORDER if n in found] + sorted(set(found)
                                                                  - set(TRAINING_SET_ORDER))
    return {name: found[name] for name in order}


def _aggregate(per_seed: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Mean and sample standard deviation (ddof=1; 0 for one seed) of each metric."""
    out: dict[str, Any] = {}
    for metric in METRICS:
        values = np.array([s[metric] for s in per_seed.values()])
        out[metric] = round(float(values.mean()), 3)
        out[f"{metric}_std"] = round(float(values.std(ddof=1)) if len(values) > 1 else 0.0, 3)
    out["seeds"] = len(per_seed)
    out["per_seed"] = per_seed
    return out


@task(name="evaluate-estimators", cache_policy=NO_CACHE)
def evaluate_estimators(shards_dir: Path, models_dir: Path, cdf_grid: np.ndarray
                        ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(metrics for evaluate.json, training set -> CDF in percent on cdf_grid)."""
    files = estimator_files(models_dir)
    states = {name: [load_estimator(f) for f in paths] for name, paths in files.items()}
    check_leak_free(shards_dir, {state["split"] for runs in states.values()
                                 for _, state in runs})
    test_x, test_y = load_split(shards_dir / "real_test", limit=10**9)
    metrics: dict[str, Any] = {"real_test_n": len(test_x)}
    cdfs: dict[str, np.ndarray] = {}
    for name, runs in states.items():
        per_seed, curves = {}, []
        for model, state in runs:
            errors = angular_errors_deg(model, test_x, test_y)
            per_seed[str(state["config"]["seed"])] = {
                k: round(float(v), 3) for k, v in error_summary(errors).items()}
            curves.append(error_cdf(errors, cdf_grid))
        metrics[name] = {**_aggregate(per_seed), "n_train": runs[0][1]["n_train"],
                         "split": runs[0][1]["split"]}
        cdfs[name] = np.mean(curves, axis=0)
    if "synthetic" in metrics and "refined" in metrics:
        metrics["refined_over_synthetic"] = round(
            metrics["refined"]["mean_deg"] / metrics["synthetic"]["mean_deg"], 3)
    return metrics, cdfs


@task(name="write-evaluation", cache_policy=NO_CACHE)
def write_evaluation(metrics_file: Path, cdf_file: Path, metrics: dict[str, Any],
                     grid: np.ndarray, cdfs: dict[str, np.ndarray]) -> None:
    atomic_write_text(metrics_file, json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["error_deg", *cdfs])
    for i, x in enumerate(grid):
        writer.writerow([f"{x:g}", *(f"{cdfs[name][i]:.2f}" for name in cdfs)])
    atomic_write_text(cdf_file, buf.getvalue())
