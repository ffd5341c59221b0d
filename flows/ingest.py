"""Stage `ingest@<domain>`: a domain's raw inputs -> validated canonical shards.

The steps every domain shares, around its own plan, shard tasks and Great Expectations
suite (`ingest_source(cfg)` in tasks/ingest_<domain>.py: tasks/ingest_source.py):

    finish or discard a killed run's publish -> the domain's plan
         -> the domain's shard tasks (a local process pool, or a Dask cluster at
            cfg.dask_address), into staged folders
         -> per split: index.json, SHA256SUMS, manifest.parquet; quarantine list, metrics
         -> bad-fraction gate (lost samples) -> the domain's Great Expectations suite
         -> publish every output together (simgan_core/publish_set.py)

A run that fails any check publishes nothing: the previous outputs stay as they were.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.ingest_outputs import (
    check_bad_fraction,
    ingest_metrics,
    ingest_publish_set,
    prepare_staging,
    stage_split,
    write_ingest_metrics,
)
from tasks.ingest_source import IngestSource
from tasks.params import resolve_workers
from tasks.params_sources import IngestOutputs
from tasks.quarantine import quarantine_lines, write_quarantine

DOMAIN_MODULE = "tasks.ingest_{domain}"  # its ingest_source(cfg) -> IngestSource


@flow(name="ingest")
def ingest_flow(cfg: IngestOutputs, domain: str) -> dict:
    """The shared steps (above) around the domain's IngestSource; the ingest metrics."""
    source: IngestSource = importlib.import_module(
        DOMAIN_MODULE.format(domain=domain)).ingest_source(cfg)
    splits = source.splits
    shards_dir = Path(cfg.shards_dir)
    quarantine_file, docs_dir = Path(cfg.quarantine_file), Path(cfg.validation_docs_dir)
    metrics_file = Path(cfg.metrics_file)
    outputs = ingest_publish_set(shards_dir, splits, quarantine_file, docs_dir, metrics_file)
    staging = prepare_staging(outputs, shards_dir, splits)
    the_plan = source.plan()
    results = source.shard_tasks(the_plan, staging)
    manifests = {
        split: stage_split(split, [r for r in results if r.split == split],
                           Path(staging[split]), domain=domain)
        for split in splits
    }
    bad = quarantine_lines(results, the_plan.stray_files)
    write_quarantine(outputs.staged(quarantine_file), bad, source.roots)
    metrics = ingest_metrics(results, bad, cfg.max_bad_fraction, the_plan.expected, splits)
    metrics.update(source.extra_metrics)
    write_ingest_metrics(outputs.staged(metrics_file), metrics)
    publish_summary(f"ingest-{domain}", metrics)
    check_bad_fraction(metrics, outputs.staged(quarantine_file))  # one line, before GX
    source.validate(manifests, outputs.staged(docs_dir))
    outputs.publish()
    return metrics


def run(cfg: IngestOutputs, domain: str) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return ingest_flow.with_options(task_runner=runner)(cfg, domain)
