"""Stage `ingest_hand`: NYU-layout depth frames -> validated canonical hand shards.

    finish or discard a killed run's publish -> plan (labels read once per split)
         -> one task per shard (a local process pool, or a Dask cluster at
            cfg.dask_address), into staged folders
         -> per split: index.json, SHA256SUMS, manifest.parquet; quarantine list, metrics
         -> bad-fraction gate (lost samples) -> Great Expectations
         -> publish every output together (simgan_core/publish_set.py)

The same outputs and contracts as ingest_gaze (flows/ingest_gaze.py).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.gather import gather
from tasks.ingest_hand import ingest_hand_chunk, plan_hand_ingest, validate_hand_manifests
from tasks.ingest_outputs import (
    check_bad_fraction,
    ingest_metrics,
    ingest_publish_set,
    prepare_staging,
    stage_split,
    write_ingest_metrics,
)
from tasks.params import IngestHand, resolve_workers
from tasks.quarantine import quarantine_lines, write_quarantine

SPLITS = ("synthetic", "real_train", "real_test")


@flow(name="ingest-hand")
def ingest_hand_flow(cfg: IngestHand) -> dict:
    shards_dir = Path(cfg.shards_dir)
    quarantine_file, docs_dir = Path(cfg.quarantine_file), Path(cfg.validation_docs_dir)
    outputs = ingest_publish_set(shards_dir, SPLITS, quarantine_file, docs_dir,
                                 Path(cfg.metrics_file))
    staging = prepare_staging(outputs, shards_dir, SPLITS)
    plan = plan_hand_ingest(cfg.synthetic_dir, cfg.real_dir, cfg.shard_maxcount)
    futures = [
        ingest_hand_chunk.submit(chunk, staging[chunk.source.split], cfg.cube_mm, cfg.crop_size)
        for chunk in plan.chunks
    ]
    results = gather(futures, "ingest-hand", "shard tasks")
    manifests = {
        split: stage_split(split, [r for r in results if r.split == split],
                           Path(staging[split]), domain="hand")
        for split in SPLITS
    }
    bad = quarantine_lines(results, plan.stray_files)
    write_quarantine(outputs.staged(quarantine_file), bad,
                     {"nyu_synthdepth": cfg.synthetic_dir, "nyu_depth": cfg.real_dir})
    metrics = ingest_metrics(results, bad, cfg.max_bad_fraction, plan.expected)
    metrics["crop_size"], metrics["cube_mm"] = cfg.crop_size, cfg.cube_mm
    write_ingest_metrics(outputs.staged(Path(cfg.metrics_file)), metrics)
    publish_summary("ingest-hand", metrics)
    check_bad_fraction(metrics, outputs.staged(quarantine_file))  # one line, before GX
    validate_hand_manifests(manifests, cfg.min_samples, cfg.crop_size,
                            outputs.staged(docs_dir))
    outputs.publish()
    return metrics


def run(cfg: IngestHand) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return ingest_hand_flow.with_options(task_runner=runner)(cfg)
