"""Every downstream estimator on real_test: errors, their summary per training set
(mean and standard deviation over seeds), the error curve. Written once for every
domain (the estimator family gives errors, summary and curve):
- gaze: angular errors; mean_deg, median_deg, within_7deg; the error CDF (Fig. 7);
  headline refined_over_synthetic (ratio of mean errors);
- hand: joint distances at 224 scale; pck_5px, mean_px; the PCK curve; headline
  refined_gap_closed = (pck refined - pck synthetic) / (pck real_oracle - pck synthetic).

Leak-free by check, not only by construction: before anything is scored, real_test's
keys must be absent from every split an estimator was trained on, its subjects absent
from real_train (what the refiner and the oracle saw; gaze manifests always name
subjects, hand ones when they have the column), and, where manifests record the source
file (hand), no real_test file and no real_test folder may feed a training split.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_write_text
from simgan_core.domain import Domain, get_domain
from simgan_core.estimator_family import estimator_family
from simgan_core.image_source import domain_of_shards
from tasks.ingest_outputs import MANIFEST_NAME
from tasks.splits import load_split
from tasks.train_estimator import load_estimator

# The order of the results table; other names follow, sorted.
TRAINING_SET_ORDER = ("synthetic", "synthetic_aug", "refined", "real_oracle")
METRICS = ("mean_deg", "median_deg", "within_7deg")  # gaze's (simgan_core.domain.GAZE)
SOURCE_FILE = "source_file"  # a manifest column: the raw file, relative to its dataset root


def _manifest(shards_dir: Path, split: str, columns: list[str] | None = None) -> pd.DataFrame:
    path = shards_dir / split / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing (needed to prove real_test is held out)")
    return pd.read_parquet(path, columns=columns)


def _folders(files: pd.Series) -> set[str]:
    """'test/depth_1_0000001.png' -> 'test' (the split folder of an NYU-layout file)."""
    return {str(f).rsplit("/", 1)[0] if "/" in str(f) else "" for f in files}


def check_leak_free(shards_dir: Path, train_splits: set[str], domain: str) -> None:
    """Raise ValueError naming the overlap when real_test leaks into any training data:
    a shared sample key or source file always; a shared subject for a domain held out by
    subject, or when both real manifests name subjects; a shared source folder for a
    domain held out by folder (Domain.leak_unit)."""
    leak_unit = get_domain(domain).leak_unit
    test = _manifest(shards_dir, "real_test")
    real_train = _manifest(shards_dir, "real_train")
    if leak_unit == "subject" or {"subject"} <= set(test) & set(real_train):
        shared = sorted(set(test["subject"]) & set(real_train["subject"]))
        if shared:
            raise ValueError(f"real_test subjects {shared} are also in real_train, which "
                             "trains the refiner and the oracle: the evaluation would not be "
                             "held out")
    test_keys = set(test["key"])
    for split in sorted(train_splits | {"real_train"}):
        manifest = real_train if split == "real_train" else _manifest(shards_dir, split)
        if leaked := sorted(set(manifest["key"]) & test_keys):
            raise ValueError(f"{len(leaked)} real_test samples are in the training split "
                             f"{split!r}, e.g. {leaked[:3]}")
        if SOURCE_FILE in test and SOURCE_FILE in manifest:
            if files := sorted(set(manifest[SOURCE_FILE]) & set(test[SOURCE_FILE])):
                raise ValueError(f"{len(files)} real_test source files also feed the training "
                                 f"split {split!r}, e.g. {files[:3]}")
            folders = sorted(_folders(manifest[SOURCE_FILE]) & _folders(test[SOURCE_FILE]))
            if leak_unit == "folder" and folders:
                raise ValueError(f"the training split {split!r} comes from real_test's folder "
                                 f"{folders} (e.g. renders of the test poses): real_test must "
                                 "come from a folder no training split reads")


def estimator_files(models_dir: Path) -> dict[str, list[Path]]:
    """training set -> its seed files, in the results table's order."""
    found = {d.name: sorted(d.glob("seed*.pt")) for d in sorted(models_dir.iterdir())
             if d.is_dir()}
    found = {name: files for name, files in found.items() if files}
    if not found:
        raise FileNotFoundError(f"{models_dir}: no estimators (run the train_estimator stage)")
    order = [n for n in TRAINING_SET_ORDER if n in found] + sorted(set(found)
                                                                  - set(TRAINING_SET_ORDER))
    return {name: found[name] for name in order}


def _aggregate(per_seed: dict[str, dict[str, float]], metrics: tuple[str, ...] = METRICS
               ) -> dict[str, Any]:
    """Mean and sample standard deviation (ddof=1; 0 for one seed) of each metric."""
    out: dict[str, Any] = {}
    for metric in metrics:
        values = np.array([s[metric] for s in per_seed.values()])
        out[metric] = round(float(values.mean()), 3)
        out[f"{metric}_std"] = round(float(values.std(ddof=1)) if len(values) > 1 else 0.0, 3)
    out["seeds"] = len(per_seed)
    out["per_seed"] = per_seed
    return out


def refined_gap_closed(metrics: dict[str, Any], key: str = "pck_5px") -> float | None:
    """(refined - synthetic) / (real_oracle - synthetic) of a higher-is-better metric:
    1 = refinement closed the whole gap to real labels, 0 = none of it; None without
    the three sets or without a gap."""
    try:
        synthetic, refined, oracle = (metrics[n][key] for n in
                                      ("synthetic", "refined", "real_oracle"))
    except KeyError:
        return None
    gap = oracle - synthetic
    return round((refined - synthetic) / gap, 3) if gap != 0 else None


def headline(metrics: dict[str, Any], domain: Domain) -> dict[str, float | None]:
    """The domain's headline (Domain.headline): the ratio refined / synthetic when both
    sets are there, or the gap closed (always written: null when a set is missing or
    there is no gap)."""
    key, metric = domain.headline_key, domain.headline_metric
    if domain.headline == "gap_closed":
        return {key: refined_gap_closed(metrics, metric)}
    if "synthetic" in metrics and "refined" in metrics:
        return {key: round(metrics["refined"][metric] / metrics["synthetic"][metric], 3)}
    return {}


SEED_SET = re.compile(r"^refined_seed(\d+)$")  # the seed study's training sets


def refiner_seeds_block(metrics: dict[str, Any], domain: Domain) -> dict[str, Any] | None:
    """The headline figure of every candidate refiner's corpus (training sets
    refined_seed<k>), as if it were the published one, with its mean, min and max, and
    the seeds ranked by it on real_test (best first); None without such sets. Computed
    here, after the stage train_refiner chose; nothing upstream reads it."""
    per_seed: dict[str, float] = {}
    for name in sorted(metrics):
        if (match := SEED_SET.match(name)) and isinstance(metrics[name], dict):
            value = headline({**metrics, "refined": metrics[name]}, domain).get(
                domain.headline_key)
            if value is not None:
                per_seed[match.group(1)] = value
    if not per_seed:
        return None
    values = np.array(list(per_seed.values()))
    lower_is_better = domain.headline_lower_is_better
    ranking = sorted(per_seed, key=lambda s: per_seed[s] if lower_is_better else -per_seed[s])
    return {"metric": domain.headline_key, "per_seed": per_seed,
            "mean": round(float(values.mean()), 3),
            "min": round(float(values.min()), 3), "max": round(float(values.max()), 3),
            "real_test_ranking": [int(s) for s in ranking]}


@task(name="evaluate-estimators", cache_policy=NO_CACHE)
def evaluate_estimators(shards_dir: Path, models_dir: Path, cdf_grid: np.ndarray,
                        domain: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(metrics for evaluate.json, training set -> error curve in percent on cdf_grid)."""
    dom = domain_of_shards(get_domain(domain), shards_dir)  # at the size ingest wrote
    family = estimator_family(dom)
    files = estimator_files(models_dir)
    states = {name: [load_estimator(f) for f in paths] for name, paths in files.items()}
    for name, runs in states.items():
        for path, (_, state) in zip(files[name], runs, strict=True):
            if state.get("domain", "gaze") != domain:
                raise ValueError(f"{path}: a {state.get('domain', 'gaze')} estimator, not "
                                 f"{domain}")
    check_leak_free(shards_dir, {state["split"] for runs in states.values()
                                 for _, state in runs}, domain)
    test_x, test_y = load_split(shards_dir / "real_test", limit=10**9, domain=dom)
    metrics: dict[str, Any] = {"real_test_n": len(test_x)}
    cdfs: dict[str, np.ndarray] = {}
    for name, runs in states.items():
        per_seed, curves = {}, []
        for model, state in runs:
            errors = family.errors(model, test_x, test_y)
            per_seed[str(state["config"]["seed"])] = {
                k: round(float(v), 3) for k, v in family.summary(errors).items()}
            curves.append(family.cdf(errors, cdf_grid))
        metrics[name] = {**_aggregate(per_seed, dom.metrics), "n_train": runs[0][1]["n_train"],
                         "split": runs[0][1]["split"]}
        cdfs[name] = np.mean(curves, axis=0)
    metrics.update(headline(metrics, dom))
    if (block := refiner_seeds_block(metrics, dom)) is not None:
        metrics["refiner_seeds"] = block
    return metrics, cdfs


@task(name="write-evaluation", cache_policy=NO_CACHE)
def write_evaluation(metrics_file: Path, cdf_file: Path, metrics: dict[str, Any],
                     grid: np.ndarray, cdfs: dict[str, np.ndarray],
                     x_column: str = "error_deg") -> None:
    """evaluate.json, and the curve CSV: x_column (the threshold), then a column per set."""
    atomic_write_text(metrics_file, json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([x_column, *cdfs])
    for i, x in enumerate(grid):
        writer.writerow([f"{x:g}", *(f"{cdfs[name][i]:.2f}" for name in cdfs)])
    atomic_write_text(cdf_file, buf.getvalue())
