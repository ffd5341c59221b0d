"""Stage `ingest_hand`: NYU-layout depth frames -> validated canonical hand shards.

    plan (labels read once per split) -> one task per shard (a local process pool,
         or a Dask cluster at cfg.dask_address)
         -> per split: index.json, SHA256SUMS, manifest.parquet (published whole)
         -> quarantine list, metrics -> Great Expectations -> bad-fraction gate

The same outputs and contracts as ingest_gaze (flows/ingest_gaze.py).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.ingest_hand import ingest_hand_chunk, plan_hand_ingest, validate_hand_manifests
from tasks.ingest_outputs import (
    check_bad_fraction,
    finalize_split,
    ingest_metrics,
    prepare_staging,
    quarantine_lines,
    write_ingest_metrics,
    write_quarantine,
)
from tasks.params import IngestHand, resolve_workers

SPLITS = ("synthetic", "real_train", "real_test")


@flow(name="ingest-hand")
def ingest_hand_flow(cfg: IngestHand) -> dict:
    shards_dir = Path(cfg.shards_dir)
    plan = plan_hand_ingest(cfg.synthetic_dir, cfg.real_dir, cfg.shard_maxcount)
    staging = prepare_staging(shards_dir, SPLITS)
    futures = [
        ingest_hand_chunk.submit(chunk, staging[chunk.source.split], cfg.cube_mm, cfg.crop_size)
        for chunk in plan.chunks
    ]
    results = [f.result() for f in futures]
    manifests = {
        split: finalize_split(split, [r for r in results if r.split == split],
                              shards_dir / split, domain="hand")
        for split in SPLITS
    }
    bad = quarantine_lines(results, plan.stray_files)
    write_quarantine(Path(cfg.quarantine_file), bad,
                     {"nyu_synthdepth": cfg.synthetic_dir, "nyu_depth": cfg.real_dir})
    metrics = ingest_metrics(results, bad, cfg.max_bad_fraction)
    metrics["crop_size"], metrics["cube_mm"] = cfg.crop_size, cfg.cube_mm
    write_ingest_metrics(Path(cfg.metrics_file), metrics)
    publish_summary("ingest-hand", metrics)
    validate_hand_manifests(manifests, cfg.min_samples, cfg.crop_size,
                            Path(cfg.validation_docs_dir))
    check_bad_fraction(metrics, cfg.quarantine_file)
    return metrics


def run(cfg: IngestHand) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return ingest_hand_flow.with_options(task_runner=runner)(cfg)
