"""Stage `simulate_real_hands`: the stand-in real Kinect (NYU layout, train/ and test/).

    plan (check, prepare train/ and test/) -> one task per frame range (a local process
    pool, or a Dask cluster at cfg.dask_address) -> joint_data.mat per split -> summary
"""

from __future__ import annotations

import time

from prefect import flow

from flows.runners import fan_out_runner
from tasks.artifacts import publish_summary
from tasks.params import SimulateRealHands, resolve_workers
from tasks.simulate_hands import (
    plan_real_hand_ranges,
    render_real_hand_range,
    write_hand_joint_data,
)


@flow(name="simulate-real-hands")
def simulate_real_hands_flow(cfg: SimulateRealHands) -> dict:
    started = time.perf_counter()
    ranges = plan_real_hand_ranges(cfg, resolve_workers(cfg.workers))
    joints = [f.result() for f in [render_real_hand_range.submit(cfg, r) for r in ranges]]
    counts = write_hand_joint_data(cfg.out_dir, ranges, joints)
    seconds = time.perf_counter() - started
    count = sum(counts.values())
    summary = {**counts, "count": count, "seconds": seconds,
               "frames_per_s": count / max(seconds, 1e-9), "tasks": len(ranges),
               "dask_address": cfg.dask_address}
    publish_summary("simulate-real-hands", summary)
    return summary


def run(cfg: SimulateRealHands) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return simulate_real_hands_flow.with_options(task_runner=runner)(cfg)
