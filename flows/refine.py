"""Stage `refine@<domain>`: the whole synthetic corpus through the trained refiner.

    plan (run key, work dir) -> one task per output shard (resumed when intact; a local
    process pool, or a Dask cluster) -> stage index, checksums, manifest, card
    -> Great Expectations -> publish refined/ whole -> metrics

The published refiner (train_refiner's choice) gives refined/; every candidate refiner
of the seed study gives its own refined_seed<k>/ the same way, for the estimators that
measure the spread over refiner seeds. The published refiner is a copy of one candidate,
so their run keys match and that candidate's corpus is made of the shards refined/ was
made of (the work files stay until every corpus is published): one pass of inference per
distinct refiner, not one per corpus.
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
from tasks.refine import (
    OUTPUT_SPLIT,
    SOURCE_SPLIT,
    RefinePlan,
    drop_work,
    plan_refine,
    refine_one_shard,
)
from tasks.refine_outputs import (
    assemble_refined,
    publish_refined,
    refine_metrics,
    validate_refined,
    write_refine_metrics,
)


def refine_corpus(cfg: Refine, plan: RefinePlan, model_file: Path, require_toward_real: bool
                  ) -> dict[str, Any]:
    """One refiner over the synthetic corpus, published as shards_dir/plan.output_split."""
    shards_dir = Path(cfg.shards_dir)
    started = time.perf_counter()
    futures = [refine_one_shard.submit(plan, i, str(model_file), cfg.batch_size,
                                       cfg.threads_per_worker)
               for i in range(len(plan.sources))]
    progress = Progress(f"refine-{plan.domain} {plan.output_split}", len(futures), "shards")
    images = 0
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
                     docs if plan.output_split == OUTPUT_SPLIT else docs / plan.output_split,
                     assembled["stats"]["real_std"], require_toward_real)
    publish_refined(assembled["staging"], shards_dir, plan)
    return refine_metrics(plan, assembled, sum(resumed for _, resumed in done), seconds)


def corpora(cfg: Refine) -> dict[str, Path]:
    """Output split -> refiner: the published one first, then every candidate's."""
    candidates = sorted(Path(cfg.candidates_dir).glob("seed*.pt"))
    return {OUTPUT_SPLIT: Path(cfg.model_file),
            **{f"{CANDIDATES_DIR}/refined_{m.stem}": m for m in candidates}}


@flow(name="refine")
def refine_flow(cfg: Refine, domain: str) -> dict:
    work_dir, refiners = Path(cfg.work_dir), corpora(cfg)
    plans = {split: plan_refine(domain, Path(cfg.shards_dir), model_file, cfg.batch_size,
                                work_dir, split)
             for split, model_file in refiners.items()}
    drop_work(work_dir, domain, keep={plan.run_key for plan in plans.values()})
    first_of_key: dict[str, str] = {}
    metrics: dict[str, Any] = {"candidates": {}}
    for split, plan in plans.items():
        # The seed study's corpora are not published to users: not gated on the statistics.
        gate = split == OUTPUT_SPLIT and cfg.require_toward_real
        corpus = refine_corpus(cfg, plan, refiners[split], gate)
        same_as = first_of_key.setdefault(plan.run_key, split)
        if split == OUTPUT_SPLIT:
            metrics |= corpus
            continue
        entry = {k: corpus[k] for k in ("count", "images_per_s", "mean_abs_change",
                                         "shards_moved_toward_real", "refiner_sha256")}
        # The published refiner is a copy of one candidate: that candidate's corpus is
        # made of the published corpus's shards (the same bytes), not refined again.
        metrics["candidates"][split] = entry | (
            {"same_refinement_as": same_as, "images_per_s": None} if same_as != split else {})
    drop_work(work_dir, domain)  # every corpus is published
    write_refine_metrics(Path(cfg.metrics_file), metrics)
    publish_summary(f"refine-{domain}", {k: v for k, v in metrics.items() if k != "per_shard"})
    return metrics


def run(cfg: Refine, domain: str) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return refine_flow.with_options(name=f"refine-{domain}", task_runner=runner)(cfg, domain)
