"""Stage `ingest_images`: the user's folders of images -> validated images-domain shards.

The shared ingest steps (flows/ingest_steps.py) for two splits (synthetic, real_train:
the domain has no estimator, so no real_test) around the images domain's plan (the
synthetic annotations read once), its shard tasks and its Great Expectations suite.
"""

from __future__ import annotations

from collections.abc import Mapping

from prefect import flow

from flows.ingest_steps import run_ingest
from flows.runners import fan_out_runner
from tasks.gather import gather
from tasks.ingest_chunks import ChunkResult
from tasks.ingest_images import (
    SOURCES,
    ImagesIngestPlan,
    ingest_images_chunk,
    plan_images_ingest,
    validate_images_manifests,
)
from tasks.params import resolve_workers
from tasks.params_sources import IngestImages

SPLITS = ("synthetic", "real_train")


@flow(name="ingest-images")
def ingest_images_flow(cfg: IngestImages) -> dict:
    def shard_tasks(plan: ImagesIngestPlan, staging: Mapping[str, str]) -> list[ChunkResult]:
        out_hw = (cfg.image_height, cfg.image_width)
        return gather([ingest_images_chunk.submit(chunk, staging[chunk.split], cfg.fit, out_hw)
                       for chunk in plan.chunks], "ingest-images", "shard tasks")

    return run_ingest(
        cfg, domain="images", splits=SPLITS,
        plan=lambda: plan_images_ingest(cfg.synthetic_dir, cfg.real_dir, cfg.shard_maxcount),
        shard_tasks=shard_tasks,
        roots={SOURCES["synthetic"]: cfg.synthetic_dir, SOURCES["real_train"]: cfg.real_dir},
        validate=lambda manifests, docs_dir: validate_images_manifests(
            manifests, cfg.min_samples, docs_dir),
        extra_metrics={"fit": cfg.fit, "image_hw": [cfg.image_height, cfg.image_width]})


def run(cfg: IngestImages) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return ingest_images_flow.with_options(task_runner=runner)(cfg)
