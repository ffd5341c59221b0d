"""Stage `simulate_eyes`: the procedural UnityEyes-format renderer.

    plan (check, create imgs/) -> one task per image range (a local process pool, or a
    Dask cluster at cfg.dask_address) -> summary
"""

from __future__ import annotations

import time

from prefect import flow
from prefect.futures import as_completed

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.params import resolve_workers
from tasks.params_sources import SimulateEyes
from tasks.progress import Progress
from tasks.simulate import plan_unityeyes_chunks, render_unityeyes_chunk


@flow(name="simulate-eyes")
def simulate_eyes_flow(cfg: SimulateEyes) -> dict:
    started = time.perf_counter()
    workers = resolve_workers(cfg.workers)
    chunks = plan_unityeyes_chunks(cfg, workers)
    futures = [render_unityeyes_chunk.submit(cfg, c) for c in chunks]
    progress, count = Progress("simulate-eyes", cfg.n, "images"), 0
    for future in as_completed(futures):
        done = future.result()
        count += done
        progress.advance(done)
    seconds = time.perf_counter() - started
    summary = {"count": count, "seconds": seconds, "images_per_s": count / max(seconds, 1e-9),
               "tasks": len(chunks), "dask_address": cfg.dask_address}
    publish_summary("simulate-eyes", summary)
    return summary


def run(cfg: SimulateEyes) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return simulate_eyes_flow.with_options(task_runner=runner)(cfg)
