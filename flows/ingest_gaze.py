"""Stage `ingest_gaze`: raw UnityEyes + MPIIGaze -> validated canonical shards.

    finish or discard a killed run's publish -> plan
         -> one task per shard (synthetic chunks, real subjects; a local process
            pool, or a Dask cluster at cfg.dask_address), into staged folders
         -> per split: index.json, SHA256SUMS, manifest.parquet; quarantine list, metrics
         -> bad-fraction gate (lost samples) -> Great Expectations
         -> publish every output together (simgan_core/publish_set.py)

A run that fails any check publishes nothing: the previous outputs stay as they were.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.gather import gather
from tasks.ingest_gaze import ingest_mpiigaze_subject, ingest_unityeyes_chunk, plan_gaze_ingest
from tasks.ingest_outputs import (
    check_bad_fraction,
    ingest_metrics,
    ingest_publish_set,
    prepare_staging,
    stage_split,
    validate_gaze_manifests,
    write_ingest_metrics,
)
from tasks.params import IngestGaze, resolve_workers
from tasks.quarantine import quarantine_lines, write_quarantine

SPLITS = ("synthetic", "real_train", "real_test")


@flow(name="ingest-gaze")
def ingest_gaze_flow(cfg: IngestGaze) -> dict:
    out_hw = (cfg.image_height, cfg.image_width)
    shards_dir = Path(cfg.shards_dir)
    quarantine_file, docs_dir = Path(cfg.quarantine_file), Path(cfg.validation_docs_dir)
    outputs = ingest_publish_set(shards_dir, SPLITS, quarantine_file, docs_dir,
                                 Path(cfg.metrics_file))
    staging = prepare_staging(outputs, shards_dir, SPLITS)
    plan = plan_gaze_ingest(cfg.unityeyes_dir, cfg.mpiigaze_dir, cfg.shard_maxcount,
                            cfg.test_subjects, cfg.use_evaluation_subset)
    synthetic = [
        ingest_unityeyes_chunk.submit(cfg.unityeyes_dir, stems, staging["synthetic"], i, out_hw,
                                      cfg.max_head_angle_deg)
        for i, stems in enumerate(plan.unityeyes_chunks)
    ]
    real = [
        ingest_mpiigaze_subject.submit(cfg.mpiigaze_dir, subject, split, staging[split], out_hw,
                                       cfg.shard_maxcount, cfg.use_evaluation_subset)
        for subject, split in plan.subjects
    ]
    done = gather([*synthetic, *real], "ingest-gaze", "shard tasks")
    results = done[:len(synthetic)] + [r for subject in done[len(synthetic):] for r in subject]
    manifests = {
        split: stage_split(split, [r for r in results if r.split == split],
                           Path(staging[split]), domain="gaze")
        for split in SPLITS
    }
    bad = quarantine_lines(results, plan.stray_files)
    write_quarantine(outputs.staged(quarantine_file), bad,
                     {"unityeyes": cfg.unityeyes_dir, "mpiigaze": cfg.mpiigaze_dir})
    metrics = ingest_metrics(results, bad, cfg.max_bad_fraction, plan.expected)
    write_ingest_metrics(outputs.staged(Path(cfg.metrics_file)), metrics)
    publish_summary("ingest-gaze", metrics)
    check_bad_fraction(metrics, outputs.staged(quarantine_file))  # one line, before GX
    validate_gaze_manifests(manifests, cfg.min_samples, out_hw, cfg.max_abs_pitch_deg,
                            cfg.max_abs_yaw_deg, outputs.staged(docs_dir))
    outputs.publish()
    return metrics


def run(cfg: IngestGaze) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return ingest_gaze_flow.with_options(task_runner=runner)(cfg)
