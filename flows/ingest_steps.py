"""The steps every ingest stage shares, around its domain's own plan, shard tasks and
Great Expectations suite:

    finish or discard a killed run's publish -> the domain's plan
         -> the domain's shard tasks (a local process pool, or a Dask cluster at
            cfg.dask_address), into staged folders
         -> per split: index.json, SHA256SUMS, manifest.parquet; quarantine list, metrics
         -> bad-fraction gate (lost samples) -> the domain's Great Expectations suite
         -> publish every output together (simgan_core/publish_set.py)

A run that fails any check publishes nothing: the previous outputs stay as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from tasks.artifacts import publish_summary
from tasks.ingest_chunks import ChunkResult
from tasks.ingest_outputs import (
    check_bad_fraction,
    ingest_metrics,
    ingest_publish_set,
    prepare_staging,
    stage_split,
    write_ingest_metrics,
)
from tasks.quarantine import quarantine_lines, write_quarantine


class IngestConfig(Protocol):
    shards_dir: str
    quarantine_file: str
    metrics_file: str
    validation_docs_dir: str
    max_bad_fraction: float


class IngestPlan(Protocol):
    stray_files: list[tuple[str, str, str]]  # (source, path, reason): quarantined up front
    expected: Mapping[str, int | None]  # source -> samples expected (None: unknown)


def run_ingest(cfg: IngestConfig, *, domain: str, splits: Sequence[str],
               plan: Callable[[], IngestPlan],
               shard_tasks: Callable[[Any, Mapping[str, str]], list[ChunkResult]],
               roots: Mapping[str, str],
               validate: Callable[[dict[str, pd.DataFrame], Path], object],
               extra_metrics: Mapping[str, Any] | None = None) -> dict:
    """The shared steps; `shard_tasks(plan, staging)` runs the domain's shard tasks into
    staging[split] and returns their results in plan order; `roots` maps each source to
    its input folder (quarantine paths are relative to it); `validate(manifests,
    docs_dir)` raises when the domain's suite fails. Returns the ingest metrics."""
    shards_dir = Path(cfg.shards_dir)
    quarantine_file, docs_dir = Path(cfg.quarantine_file), Path(cfg.validation_docs_dir)
    metrics_file = Path(cfg.metrics_file)
    outputs = ingest_publish_set(shards_dir, splits, quarantine_file, docs_dir, metrics_file)
    staging = prepare_staging(outputs, shards_dir, splits)
    the_plan = plan()
    results = shard_tasks(the_plan, staging)
    manifests = {
        split: stage_split(split, [r for r in results if r.split == split],
                           Path(staging[split]), domain=domain)
        for split in splits
    }
    bad = quarantine_lines(results, the_plan.stray_files)
    write_quarantine(outputs.staged(quarantine_file), bad, roots)
    metrics = ingest_metrics(results, bad, cfg.max_bad_fraction, the_plan.expected, splits)
    metrics.update(extra_metrics or {})
    write_ingest_metrics(outputs.staged(metrics_file), metrics)
    publish_summary(f"ingest-{domain}", metrics)
    check_bad_fraction(metrics, outputs.staged(quarantine_file))  # one line, before GX
    validate(manifests, outputs.staged(docs_dir))
    outputs.publish()
    return metrics
