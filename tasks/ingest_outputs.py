"""What ingest writes besides the shards: per-split index/checksums/manifest, the
metrics file, the bad-fraction gate, and how it all is published (each domain's Great
Expectations suite is in its own ingest tasks: tasks/ingest_<domain>.py).

Every output is built under a hidden staged name (simgan_core/publish_set.py), then
validated (the gate, then Great Expectations), then published together: a failed or
killed run leaves the previous outputs as they were. (The quarantine list: quarantine.py.)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from simgan_core.atomic import atomic_output, atomic_write_text
from simgan_core.publish_set import PublishSet
from simgan_core.shard_index import write_index, write_sha256sums
from tasks.ingest_chunks import ChunkResult

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


@task(name="stage-split", cache_policy=NO_CACHE)
def stage_split(split: str, results: Sequence[ChunkResult], staged: Path,
                domain: str) -> pd.DataFrame:
    """Write index.json (named "<domain>-<split>"), SHA256SUMS and manifest.parquet next
    to the split's shards in its staged folder (published later, with the other outputs,
    once everything is validated). Returns the manifest."""
    shards = sorted((r.shard for r in results if r.shard is not None), key=lambda s: s.name)
    write_index(staged, shards, name=f"{domain}-{split}")
    write_sha256sums(staged, shards)
    parts = [r.manifest for r in sorted(results, key=lambda r: r.shard.name if r.shard else "")
             if len(r.manifest)]
    manifest = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    with atomic_output(staged / MANIFEST_NAME) as tmp:
        manifest.to_parquet(tmp, index=False)
    return manifest


@task(name="write-ingest-metrics", cache_policy=NO_CACHE)
def write_ingest_metrics(path: Path, metrics: dict) -> None:
    atomic_write_text(path, json.dumps(metrics, indent=2, sort_keys=True) + "\n")


def passed_or_raise(report: Any, domain: str, docs_dir: Path, n_splits: int) -> str:
    """A domain's Great Expectations report on its manifests: a Prefect table artifact,
    then a ValueError with a readable summary of each failed expectation, or a one-line
    summary when everything passed."""
    create_table_artifact(key=f"ingest-{domain}-validation", table=report.to_rows(),
                          description=f"Great Expectations results on the {domain} manifests")
    if not report.success:
        raise ValueError(f"manifest validation failed (Data Docs: {docs_dir}/index.html)\n"
                         + report.summary())
    return f"{len(report.results)} expectations passed on {n_splits} splits"


def ingest_publish_set(shards_dir: Path, splits: Sequence[str], quarantine_file: Path,
                       docs_dir: Path, metrics_file: Path) -> PublishSet:
    """Everything an ingest stage publishes, together: the split folders, the quarantine
    list, the validation docs and the metrics file (journal: shards_dir/.ingest.publish)."""
    finals = [shards_dir / split for split in splits] + [quarantine_file, docs_dir,
                                                          metrics_file]
    return PublishSet(shards_dir / ".ingest.publish", finals)


@task(name="prepare-staging", cache_policy=NO_CACHE)
def prepare_staging(outputs: PublishSet, shards_dir: Path, splits: Sequence[str]
                    ) -> dict[str, str]:
    """Finish or discard what a killed run left, then one empty staged folder per split;
    returns split -> staged path."""
    outputs.recover()
    out = {}
    for split in splits:
        staged = outputs.staged(shards_dir / split)
        staged.mkdir(parents=True)
        out[split] = str(staged)
    return out


def ingest_metrics(results: Sequence[ChunkResult], bad: Sequence[tuple[str, str, str]],
                   max_bad_fraction: float, expected: Mapping[str, int | None],
                   splits: Sequence[str] = ("synthetic", "real_train", "real_test")) -> dict:
    """counts per split; per source the samples expected (from the label files and the
    evaluation lists), good, skipped and lost (expected - good - skipped: a sample that
    is missing counts as lost whether or not a file was quarantined for it) and the
    quarantine lines; bad_fraction per source = lost / expected. A source whose expected
    count is unknown (None) counts each of its quarantine lines as one lost sample."""
    counts = {s: 0 for s in splits}
    for r in results:
        counts[r.split] += len(r.manifest)
    by_source: dict[str, dict[str, int]] = {
        s: {"good": 0, "quarantined": 0, "skipped": 0} for s in expected}
    for r in results:
        entry = by_source.setdefault(r.source, {"good": 0, "quarantined": 0, "skipped": 0})
        entry["good"] += len(r.manifest)
        entry["skipped"] += len(r.skipped)
    for source, _, _ in bad:
        by_source.setdefault(source, {"good": 0, "quarantined": 0, "skipped": 0})
        by_source[source]["quarantined"] += 1
    for source, entry in by_source.items():
        known = expected.get(source)
        entry["expected"] = (known if known is not None
                             else entry["good"] + entry["skipped"] + entry["quarantined"])
        entry["lost"] = (entry["expected"] - entry["good"] - entry["skipped"]
                         if known is not None else entry["quarantined"])
    fractions = {s: round(e["lost"] / max(1, e["expected"]), 6)
                 for s, e in sorted(by_source.items())}
    return {
        "counts": counts,
        "quarantined": len(bad),
        "lost": sum(e["lost"] for e in by_source.values()),
        "skipped": sum(len(r.skipped) for r in results),
        "by_source": by_source,
        "bad_fraction": fractions,
        "max_bad_fraction": max_bad_fraction,
    }


@task(name="check-bad-fraction", cache_policy=NO_CACHE)
def check_bad_fraction(metrics: dict, quarantine_file: Path | str) -> None:
    """Fail the stage, in one line naming the quarantine list, when any source lost more
    than max_bad_fraction of its samples."""
    over = {s: f for s, f in metrics["bad_fraction"].items() if f > metrics["max_bad_fraction"]}
    if over:
        detail = ", ".join(
            f"{s} lost {metrics['by_source'][s]['lost']} of "
            f"{metrics['by_source'][s]['expected']} samples ({f:.1%})"
            for s, f in sorted(over.items()))
        raise ValueError(
            f"too many bad inputs: {detail} (max_bad_fraction "
            f"{metrics['max_bad_fraction']:.1%}); each file and its reason: {quarantine_file}; "
            f"nothing was published"
        )
