"""What ingest writes besides the shards: per-split index/checksums/manifest, the
quarantine list, the metrics file, and the validation of the manifests.

Every file is written atomically; a split directory is assembled under a hidden
staging name and renamed into place whole.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_output, atomic_write_text
from simgan_core.shard_index import write_index, write_sha256sums
from tasks.ingest_gaze import ChunkResult

MANIFEST_NAME = "manifest.parquet"


def staging_dir(final_dir: Path) -> Path:
    """Hidden sibling where a split is assembled before it is renamed into place."""
    return final_dir.with_name(f".{final_dir.name}.staging")


def publish_dir(staging: Path, final_dir: Path) -> None:
    """Rename a finished staging directory onto `final_dir` (never visible half-made)."""
    old = final_dir.with_name(f".{final_dir.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if final_dir.exists():
        os.replace(final_dir, old)
    os.replace(staging, final_dir)
    shutil.rmtree(old, ignore_errors=True)


@task(name="finalize-split", cache_policy=NO_CACHE)
def finalize_split(split: str, results: Sequence[ChunkResult], final_dir: Path,
                   domain: str = "gaze") -> pd.DataFrame:
    """Write index.json (named "<domain>-<split>"), SHA256SUMS and manifest.parquet next
    to the split's shards; publish the split directory. Returns the manifest."""
    staging = staging_dir(final_dir)
    shards = sorted((r.shard for r in results if r.shard is not None), key=lambda s: s.name)
    write_index(staging, shards, name=f"{domain}-{split}")
    write_sha256sums(staging, shards)
    parts = [r.manifest for r in sorted(results, key=lambda r: r.shard.name if r.shard else "")
             if len(r.manifest)]
    manifest = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    with atomic_output(staging / MANIFEST_NAME) as tmp:
        manifest.to_parquet(tmp, index=False)
    publish_dir(staging, final_dir)
    return manifest


def quarantine_lines(results: Sequence[ChunkResult], extra: Sequence[tuple[str, str, str]] = ()
                     ) -> list[tuple[str, str, str]]:
    """(source, path, reason) for every bad input, sorted for stable bytes."""
    lines = [(r.source, path, reason) for r in results for path, reason in r.quarantined]
    return sorted([*lines, *extra])


@task(name="write-quarantine", cache_policy=NO_CACHE)
def write_quarantine(path: Path, lines: Sequence[tuple[str, str, str]],
                     roots: dict[str, str]) -> None:
    """A TSV of bad inputs: source, path (relative to that source's root), reason."""
    header = "".join(f"# {name} root: {root}\n" for name, root in sorted(roots.items()))
    body = "".join(f"{s}\t{p}\t{r.replace(chr(9), ' ')}\n" for s, p, r in lines)
    atomic_write_text(path, header + "source\tpath\treason\n" + body)


@task(name="write-ingest-metrics", cache_policy=NO_CACHE)
def write_ingest_metrics(path: Path, metrics: dict) -> None:
    atomic_write_text(path, json.dumps(metrics, indent=2, sort_keys=True) + "\n")


@task(name="validate-manifests", cache_policy=NO_CACHE)
def validate_gaze_manifests(manifests: dict[str, pd.DataFrame], min_samples: dict[str, int],
                            image_hw: tuple[int, int], max_abs_pitch_deg: float,
                            max_abs_yaw_deg: float, docs_dir: Path) -> str:
    """Great Expectations on every split's manifest; Data Docs into docs_dir.

    Raises with a readable summary of each failed expectation; returns a one-line
    summary when everything passed.
    """
    from tasks.validate_manifest import validate_manifests  # imports GX (slow): only here

    report = validate_manifests(manifests, min_counts=min_samples, image_hw=image_hw,
                                max_abs_pitch_deg=max_abs_pitch_deg,
                                max_abs_yaw_deg=max_abs_yaw_deg, docs_dir=docs_dir)
    create_table_artifact(key="ingest-gaze-validation", table=report.to_rows(),
                          description="Great Expectations results on the gaze manifests")
    if not report.success:
        raise ValueError(f"manifest validation failed (Data Docs: {docs_dir}/index.html)\n"
                         + report.summary())
    return f"{len(report.results)} expectations passed on {len(manifests)} splits"


@task(name="prepare-staging", cache_policy=NO_CACHE)
def prepare_staging(shards_dir: Path, splits: Sequence[str]) -> dict[str, str]:
    """Empty staging directories, one per split; returns split -> staging path."""
    out = {}
    for split in splits:
        staging = staging_dir(shards_dir / split)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        out[split] = str(staging)
    return out


def ingest_metrics(results: Sequence[ChunkResult], bad: Sequence[tuple[str, str, str]],
                   max_bad_fraction: float) -> dict:
    """counts per split, quarantined (total and per source), skipped, bad fractions."""
    counts = {s: 0 for s in ("synthetic", "real_train", "real_test")}
    for r in results:
        counts[r.split] += len(r.manifest)
    by_source: dict[str, dict[str, int]] = {}
    for r in results:
        entry = by_source.setdefault(r.source, {"good": 0, "quarantined": 0, "skipped": 0})
        entry["good"] += len(r.manifest)
        entry["skipped"] += len(r.skipped)
    for source, _, _ in bad:
        by_source.setdefault(source, {"good": 0, "quarantined": 0, "skipped": 0})
        by_source[source]["quarantined"] += 1
    fractions = {s: round(e["quarantined"] / max(1, e["good"] + e["quarantined"]), 6)
                 for s, e in sorted(by_source.items())}
    return {
        "counts": counts,
        "quarantined": len(bad),
        "skipped": sum(len(r.skipped) for r in results),
        "by_source": by_source,
        "bad_fraction": fractions,
        "max_bad_fraction": max_bad_fraction,
    }


@task(name="check-bad-fraction", cache_policy=NO_CACHE)
def check_bad_fraction(metrics: dict, quarantine_file: str) -> None:
    """Fail the stage when any source's quarantined fraction passes the threshold."""
    over = {s: f for s, f in metrics["bad_fraction"].items() if f > metrics["max_bad_fraction"]}
    if over:
        detail = ", ".join(f"{s} {f:.1%}" for s, f in sorted(over.items()))
        raise ValueError(
            f"too many bad inputs: {detail} quarantined (max_bad_fraction "
            f"{metrics['max_bad_fraction']:.1%}); each file and its reason: {quarantine_file}"
        )
