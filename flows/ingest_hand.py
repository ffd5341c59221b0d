"""Stage `ingest_hand`: NYU-layout depth frames -> validated canonical hand shards.

The shared ingest steps (flows/ingest_steps.py) around the hand's plan (labels read once
per split), its shard tasks and its Great Expectations suite.
"""

from __future__ import annotations

from collections.abc import Mapping

from prefect import flow

from flows.ingest_steps import run_ingest
from flows.runners import fan_out_runner
from tasks.gather import gather
from tasks.ingest_chunks import ChunkResult
from tasks.ingest_hand import (
    HandIngestPlan,
    ingest_hand_chunk,
    plan_hand_ingest,
    validate_hand_manifests,
)
from tasks.params import resolve_workers
from tasks.params_sources import IngestHand

SPLITS = ("synthetic", "real_train", "real_test")


@flow(name="ingest-hand")
def ingest_hand_flow(cfg: IngestHand) -> dict:
    def shard_tasks(plan: HandIngestPlan, staging: Mapping[str, str]) -> list[ChunkResult]:
        return gather([ingest_hand_chunk.submit(chunk, staging[chunk.source.split],
                                                cfg.cube_mm, cfg.crop_size)
                       for chunk in plan.chunks], "ingest-hand", "shard tasks")

    return run_ingest(
        cfg, domain="hand", splits=SPLITS,
        plan=lambda: plan_hand_ingest(cfg.synthetic_dir, cfg.real_dir, cfg.shard_maxcount),
        shard_tasks=shard_tasks,
        roots={"nyu_synthdepth": cfg.synthetic_dir, "nyu_depth": cfg.real_dir},
        validate=lambda manifests, docs_dir: validate_hand_manifests(
            manifests, cfg.min_samples, cfg.crop_size, docs_dir),
        extra_metrics={"crop_size": cfg.crop_size, "cube_mm": cfg.cube_mm})


def run(cfg: IngestHand) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return ingest_hand_flow.with_options(task_runner=runner)(cfg)
