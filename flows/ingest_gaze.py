"""Stage `ingest_gaze`: raw UnityEyes + MPIIGaze -> validated canonical shards.

The shared ingest steps (flows/ingest_steps.py) around gaze's plan, its shard tasks
(synthetic chunks, real subjects) and its Great Expectations suite.
"""

from __future__ import annotations

from collections.abc import Mapping

from prefect import flow

from flows.ingest_steps import run_ingest
from flows.runners import fan_out_runner
from tasks.gather import gather
from tasks.ingest_chunks import ChunkResult
from tasks.ingest_gaze import (
    IngestPlan,
    ingest_mpiigaze_subject,
    ingest_unityeyes_chunk,
    plan_gaze_ingest,
    validate_gaze_manifests,
)
from tasks.params import resolve_workers
from tasks.params_sources import IngestGaze

SPLITS = ("synthetic", "real_train", "real_test")


@flow(name="ingest-gaze")
def ingest_gaze_flow(cfg: IngestGaze) -> dict:
    out_hw = (cfg.image_height, cfg.image_width)

    def shard_tasks(plan: IngestPlan, staging: Mapping[str, str]) -> list[ChunkResult]:
        synthetic = [
            ingest_unityeyes_chunk.submit(cfg.unityeyes_dir, stems, staging["synthetic"], i,
                                          out_hw, cfg.max_head_angle_deg)
            for i, stems in enumerate(plan.unityeyes_chunks)
        ]
        real = [
            ingest_mpiigaze_subject.submit(cfg.mpiigaze_dir, subject, split, staging[split],
                                           out_hw, cfg.shard_maxcount,
                                           cfg.use_evaluation_subset)
            for subject, split in plan.subjects
        ]
        done = gather([*synthetic, *real], "ingest-gaze", "shard tasks")
        return done[:len(synthetic)] + [r for subject in done[len(synthetic):] for r in subject]

    return run_ingest(
        cfg, domain="gaze", splits=SPLITS,
        plan=lambda: plan_gaze_ingest(cfg.unityeyes_dir, cfg.mpiigaze_dir, cfg.shard_maxcount,
                                      cfg.test_subjects, cfg.use_evaluation_subset),
        shard_tasks=shard_tasks,
        roots={"unityeyes": cfg.unityeyes_dir, "mpiigaze": cfg.mpiigaze_dir},
        validate=lambda manifests, docs_dir: validate_gaze_manifests(
            manifests, cfg.min_samples, out_hw, cfg.max_abs_pitch_deg, cfg.max_abs_yaw_deg,
            docs_dir))


def run(cfg: IngestGaze) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return ingest_gaze_flow.with_options(task_runner=runner)(cfg)
