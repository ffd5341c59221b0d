"""Stage `simulate_real_eyes`: the stand-in real camera (MPIIGaze layout).

    plan (check, create subject folders) -> one task per day file (a local process pool,
    or a Dask cluster at cfg.dask_address) -> evaluation lists -> summary
"""

from __future__ import annotations

import time

from prefect import flow
from prefect.futures import as_completed

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.params import resolve_workers
from tasks.params_sources import SimulateRealEyes
from tasks.progress import Progress
from tasks.simulate import plan_real_eye_days, render_real_eye_day, write_real_eye_lists


@flow(name="simulate-real-eyes")
def simulate_real_eyes_flow(cfg: SimulateRealEyes) -> dict:
    started = time.perf_counter()
    days = plan_real_eye_days(cfg)
    futures = [render_real_eye_day.submit(cfg, d) for d in days]
    progress = Progress("simulate-real-eyes", sum(len(d.frames) for d in days), "frames")
    frames = 0
    for future in as_completed(futures):
        done = future.result()
        frames += done
        progress.advance(done)
    write_real_eye_lists(cfg)
    seconds = time.perf_counter() - started
    summary = {"subjects": cfg.subjects, "frames": frames, "count": 2 * frames,
               "seconds": seconds, "crops_per_s": 2 * frames / max(seconds, 1e-9),
               "tasks": len(days), "dask_address": cfg.dask_address}
    publish_summary("simulate-real-eyes", summary)
    return summary


def run(cfg: SimulateRealEyes) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return simulate_real_eyes_flow.with_options(task_runner=runner)(cfg)
