"""What the refine stage writes besides the shards: index, checksums, manifest, dataset
card, Great Expectations validation, metrics. The refined directory is assembled under a
hidden staging name and published whole, only after validation passed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_output, atomic_write_text
from simgan_core.shard_index import write_index, write_sha256sums
from simgan_core.shards import ShardInfo
from tasks.dataset_card import dataset_card
from tasks.ingest_outputs import MANIFEST_NAME, publish_dir, staging_dir
from tasks.refine import SOURCE_SPLIT, RefinePlan, link_or_copy, shard_stats
from tasks.validate_manifest import ExpectationRow, ValidationReport, run_suites

CARD_NAME = "README.md"
# How far a shard's mean image statistics may move AWAY from real_train's, as a share of
# the real images' own pixel spread (real_std), before the refiner is called broken. A
# refiner that matches texture on a corpus whose global level is already near real's can
# nudge that level either way by a little (a sound hand refiner: 60 stored units of a
# 12 600-unit spread); an inverted or rescaled output moves it by far more.
TOWARD_REAL_TOLERANCE = 0.05


def _real_image_stats(shards_dir: Path) -> tuple[float, float]:
    """real_train's mean per-image mean and std (stored-pixel units), from its manifest."""
    path = shards_dir / "real_train" / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing (the refined statistics compare with it)")
    real = pd.read_parquet(path, columns=["image_mean", "image_std"])
    return float(real["image_mean"].mean()), float(real["image_std"].mean())


@task(name="assemble-refined", cache_policy=NO_CACHE)
def assemble_refined(plan: RefinePlan, infos: Sequence[ShardInfo], shards_dir: Path
                     ) -> dict[str, Any]:
    """Stage the refined directory: shards, index.json, SHA256SUMS, manifest, card.
    Returns the staging path, the manifest and the per-shard statistics."""
    final = shards_dir / plan.output_split
    staging = staging_dir(final)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    work = Path(plan.work)
    for info in infos:
        link_or_copy(work / info.name, staging / info.name)
    write_index(staging, infos, name=f"{plan.domain}-{final.name}")
    write_sha256sums(staging, infos)
    manifest = pd.concat([pd.read_parquet(work / f"{i.name}.stats.parquet") for i in infos],
                         ignore_index=True)
    with atomic_output(staging / MANIFEST_NAME) as tmp:
        manifest.to_parquet(tmp, index=False)
    real_mean, real_std = _real_image_stats(shards_dir)
    per_shard = shard_stats(manifest, real_mean, real_std)
    stats = {
        "synthetic_mean": float(manifest["source_image_mean"].mean()),
        "synthetic_std": float(manifest["source_image_std"].mean()),
        "refined_mean": float(manifest["image_mean"].mean()),
        "refined_std": float(manifest["image_std"].mean()),
        "real_mean": real_mean, "real_std": real_std,
    }
    card = dataset_card(plan.spec, manifest, [i.name for i in infos],
                        plan.provenance, stats)
    atomic_write_text(staging / CARD_NAME, card)
    return {"staging": str(staging), "manifest": manifest, "per_shard": per_shard,
            "stats": stats}


def _refined_expectations(gx: Any, name: str, df: pd.DataFrame, source_count: int,
                          source_keys: list[str], max_away: float | None) -> list[Any]:
    """max_away: the most a shard's statistics may move away from real's (None: no check)."""
    E = gx.expectations
    if name == "per_shard":  # image statistics moved toward real_train, or hardly away
        out = [E.ExpectColumnValuesToNotBeNull(column=c) for c in df.columns]
        if max_away is not None:
            out.append(E.ExpectColumnValuesToBeBetween(column="moved_away_from_real",
                                                       max_value=max_away))
        return out
    out: list[Any] = [E.ExpectTableRowCountToEqual(value=source_count)]
    out += [E.ExpectColumnValuesToNotBeNull(column=c) for c in df.columns]
    out += [E.ExpectColumnValuesToBeUnique(column="key"),
            E.ExpectColumnValuesToBeInSet(column="key", value_set=source_keys),
            E.ExpectColumnValuesToBeInSet(column="annotation_equal", value_set=[True])]
    for column in ("image_mean", "image_std", "mean_abs_change"):
        out.append(E.ExpectColumnValuesToBeBetween(column=column, min_value=0.0))
    return out


@task(name="validate-refined", cache_policy=NO_CACHE)
def validate_refined(manifest: pd.DataFrame, per_shard: pd.DataFrame, source_manifest: Path,
                     docs_dir: Path, real_std: float, toward_real: bool = True) -> str:
    """GX on the refined manifest and per-shard statistics; raise with a readable
    summary when an expectation fails (Data Docs in docs_dir either way). toward_real:
    no shard's distance to real_train's image statistics may grow by more than
    TOWARD_REAL_TOLERANCE x real_std (stored-pixel units)."""
    source_keys = pd.read_parquet(source_manifest, columns=["key"])["key"].tolist()
    frames = {"refined": manifest, "per_shard": per_shard.assign(
        moved_away_from_real=per_shard.dist_refined_to_real - per_shard.dist_source_to_real)}
    max_away = TOWARD_REAL_TOLERANCE * real_std if toward_real else None

    def build(gx: Any, name: str, df: pd.DataFrame) -> list[Any]:
        return _refined_expectations(gx, name, df, len(source_keys), source_keys, max_away)

    rows: list[ExpectationRow] = run_suites(frames, build, docs_dir, "refined_validation")
    report = ValidationReport(success=all(r.success for r in rows), results=rows,
                              docs_index=docs_dir / "index.html")
    create_table_artifact(key="refine-validation", table=report.to_rows(),
                          description="Great Expectations results on the refined manifest")
    if not report.success:
        raise ValueError("refined shards failed validation; nothing was published\n"
                         + report.summary())
    return f"{len(rows)} expectations passed"


@task(name="publish-refined", cache_policy=NO_CACHE)
def publish_refined(staging: str, shards_dir: Path, plan: RefinePlan) -> Path:
    """Rename the validated staging directory onto its split (refined/, or a candidate's).
    The work files stay until the stage has published every corpus (flows/refine.py):
    another corpus of the same refinement is made of them."""
    final = shards_dir / plan.output_split
    publish_dir(Path(staging), final)
    return final


def refine_metrics(plan: RefinePlan, assembled: dict[str, Any], resumed: int,
                   seconds: float) -> dict[str, Any]:
    manifest, per_shard = assembled["manifest"], assembled["per_shard"]
    return {
        "count": len(manifest),
        "shards": len(per_shard),
        "resumed_shards": resumed,
        "seconds": round(seconds, 2),
        "images_per_s": round(len(manifest) / max(seconds, 1e-9), 1),
        "mean_abs_change": round(float(manifest["mean_abs_change"].mean()), 3),
        "image_stats": {k: round(v, 3) for k, v in assembled["stats"].items()},
        "shards_moved_toward_real": int(
            (per_shard.dist_refined_to_real < per_shard.dist_source_to_real).sum()),
        "per_shard": {row.shard: {"source_mean": round(row.source_mean, 3),
                                  "refined_mean": round(row.refined_mean, 3),
                                  "source_std": round(row.source_std, 3),
                                  "refined_std": round(row.refined_std, 3),
                                  "dist_source_to_real": round(row.dist_source_to_real, 3),
                                  "dist_refined_to_real": round(row.dist_refined_to_real, 3)}
                      for row in per_shard.itertuples()},
        "refiner_sha256": plan.provenance["refiner_sha256"],
        "run_key": plan.run_key,
        "source_split": SOURCE_SPLIT,
    }


@task(name="write-refine-metrics", cache_policy=NO_CACHE)
def write_refine_metrics(path: Path, metrics: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(metrics, indent=2, sort_keys=True) + "\n")
