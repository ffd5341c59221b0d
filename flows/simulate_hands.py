"""Stage `simulate_hands`: synthetic hand depth renders in the NYU layout.

    plan (check, prepare train/) -> one task per frame range (a local process pool, or a
    Dask cluster at cfg.dask_address) -> joint_data.mat -> summary
"""

from __future__ import annotations

import time

from prefect import Task, flow
from prefect.futures import as_completed

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.params import resolve_workers
from tasks.params_sources import SimulateHands, SimulateRealHands
from tasks.progress import Progress
from tasks.simulate_hands import (
    plan_synthdepth_ranges,
    render_synthdepth_range,
    write_hand_joint_data,
)


def render_frames(cfg: SimulateHands | SimulateRealHands, plan: Task, render: Task,
                  stage: str) -> dict:
    """Both hand simulators' stage: plan the frame ranges, render one task per range,
    write joint_data.mat per split, publish the summary as `stage`."""
    started = time.perf_counter()
    ranges = plan(cfg, resolve_workers(cfg.workers))
    futures = [render.submit(cfg, r) for r in ranges]
    progress = Progress(stage, sum(r.stop - r.start for r in ranges), "frames")
    for future in as_completed(futures):
        progress.advance(len(future.result()))
    joints = [f.result() for f in futures]  # in the ranges' order
    counts = write_hand_joint_data(cfg.out_dir, ranges, joints)
    seconds = time.perf_counter() - started
    count = sum(counts.values())
    summary = {**counts, "count": count, "seconds": seconds,
               "frames_per_s": count / max(seconds, 1e-9), "tasks": len(ranges),
               "dask_address": cfg.dask_address}
    publish_summary(stage, summary)
    return summary


@flow(name="simulate-hands")
def simulate_hands_flow(cfg: SimulateHands) -> dict:
    return render_frames(cfg, plan_synthdepth_ranges, render_synthdepth_range, "simulate-hands")


def run(cfg: SimulateHands) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return simulate_hands_flow.with_options(task_runner=runner)(cfg)
