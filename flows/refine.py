"""Stage `refine_<domain>`: the whole synthetic corpus through the trained refiner.

    plan (run key, work dir) -> one task per output shard (resumed when intact; a local
    process pool, or a Dask cluster) -> stage index, checksums, manifest, card
    -> Great Expectations -> publish refined/ whole -> metrics
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.ingest_outputs import MANIFEST_NAME
from tasks.params import Refine, resolve_workers
from tasks.refine import SOURCE_SPLIT, plan_refine, refine_one_shard
from tasks.refine_outputs import (
    assemble_refined,
    publish_refined,
    refine_metrics,
    validate_refined,
    write_refine_metrics,
)


@flow(name="refine")
def refine_flow(cfg: Refine, domain: str) -> dict:
    paths = getattr(cfg, domain)
    shards_dir, model_file = Path(paths.shards_dir), Path(paths.model_file)
    plan = plan_refine(domain, shards_dir, model_file, cfg.batch_size, Path(cfg.work_dir))
    started = time.perf_counter()
    futures = [refine_one_shard.submit(plan, i, str(model_file), cfg.batch_size,
                                       cfg.threads_per_worker)
               for i in range(len(plan.sources))]
    done = [f.result() for f in futures]
    seconds = time.perf_counter() - started
    assembled = assemble_refined(plan, [info for info, _ in done], shards_dir)
    validate_refined(assembled["manifest"], assembled["per_shard"],
                     shards_dir / SOURCE_SPLIT / MANIFEST_NAME, Path(paths.validation_docs_dir),
                     cfg.require_toward_real)
    publish_refined(assembled["staging"], shards_dir, plan)
    metrics = refine_metrics(plan, assembled, sum(resumed for _, resumed in done), seconds)
    write_refine_metrics(Path(paths.metrics_file), metrics)
    publish_summary(f"refine-{domain}", {k: v for k, v in metrics.items() if k != "per_shard"})
    return metrics


def run_domain(cfg: Refine, domain: str) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return refine_flow.with_options(task_runner=runner)(cfg, domain)
