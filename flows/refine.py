"""Stage `refine@<domain>`: the whole synthetic corpus through the trained refiner.

    plan (run key, work dir) -> one task per output shard (resumed when intact; a local
    process pool, or a Dask cluster) -> stage index, checksums, manifest, card
    -> Great Expectations -> publish refined/ whole -> metrics

The published refiner (train_refiner's choice) gives refined/; every candidate refiner
of the seed study gives its own refined_seed<k>/ the same way, for the estimators that
measure the spread over refiner seeds.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.futures import as_completed

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.ingest_outputs import MANIFEST_NAME
from tasks.params import CANDIDATES_DIR, Refine, resolve_workers
from tasks.progress import Progress
from tasks.refine import OUTPUT_SPLIT, SOURCE_SPLIT, plan_refine, refine_one_shard
from tasks.refine_outputs import (
    assemble_refined,
    publish_refined,
    refine_metrics,
    validate_refined,
    write_refine_metrics,
)


def refine_corpus(cfg: Refine, domain: str, model_file: Path, output_split: str,
                  require_toward_real: bool) -> dict[str, Any]:
    """One refiner over the synthetic corpus, published as shards_dir/output_split."""
    shards_dir = Path(cfg.shards_dir)
    plan = plan_refine(domain, shards_dir, model_file, cfg.batch_size, Path(cfg.work_dir),
                       output_split)
    started = time.perf_counter()
    futures = [refine_one_shard.submit(plan, i, str(model_file), cfg.batch_size,
                                       cfg.threads_per_worker)
               for i in range(len(plan.sources))]
    progress, images = Progress(f"refine-{domain} {output_split}", len(futures), "shards"), 0
    for future in as_completed(futures):
        info, resumed = future.result()
        images += info.nsamples
        progress.advance(1, note=f"{images} images{' (resumed)' if resumed else ''}")
    done = [f.result() for f in futures]  # in the shards' order
    seconds = time.perf_counter() - started
    assembled = assemble_refined(plan, [info for info, _ in done], shards_dir)
    docs = Path(cfg.validation_docs_dir)  # the published corpus's; candidates' inside
    validate_refined(assembled["manifest"], assembled["per_shard"],
                     shards_dir / SOURCE_SPLIT / MANIFEST_NAME,
                     docs if output_split == OUTPUT_SPLIT else docs / output_split,
                     assembled["stats"]["real_std"], require_toward_real)
    publish_refined(assembled["staging"], shards_dir, plan)
    return refine_metrics(plan, assembled, sum(resumed for _, resumed in done), seconds)


@flow(name="refine")
def refine_flow(cfg: Refine, domain: str) -> dict:
    metrics = refine_corpus(cfg, domain, Path(cfg.model_file), OUTPUT_SPLIT,
                            cfg.require_toward_real)
    # The seed study's corpora: not published to users, so not gated on the statistics.
    metrics["candidates"] = {}
    for model_file in sorted(Path(cfg.candidates_dir).glob("seed*.pt")):
        split = f"{CANDIDATES_DIR}/refined_{model_file.stem}"
        candidate = refine_corpus(cfg, domain, model_file, split, False)
        metrics["candidates"][split] = {k: candidate[k] for k in (
            "count", "images_per_s", "mean_abs_change", "shards_moved_toward_real",
            "refiner_sha256")}
    write_refine_metrics(Path(cfg.metrics_file), metrics)
    publish_summary(f"refine-{domain}", {k: v for k, v in metrics.items() if k != "per_shard"})
    return metrics


def run(cfg: Refine, domain: str) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return refine_flow.with_options(name=f"refine-{domain}", task_runner=runner)(cfg, domain)
