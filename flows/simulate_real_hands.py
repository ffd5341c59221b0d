"""Stage `simulate_real_hands`: the stand-in real Kinect (NYU layout, train/ and test/).

    plan (check, prepare train/ and test/) -> one task per frame range (a local process
    pool, or a Dask cluster at cfg.dask_address) -> joint_data.mat per split -> summary
"""

from __future__ import annotations

from prefect import flow

from flows.runners import fan_out_runner
from flows.simulate_hands import render_frames
from tasks.params import resolve_workers
from tasks.params_sources import SimulateRealHands
from tasks.simulate_hands import plan_real_hand_ranges, render_real_hand_range


@flow(name="simulate-real-hands")
def simulate_real_hands_flow(cfg: SimulateRealHands) -> dict:
    return render_frames(cfg, plan_real_hand_ranges, render_real_hand_range,
                         "simulate-real-hands")


def run(cfg: SimulateRealHands) -> dict:
    """On a process pool of cfg.workers, or on the Dask cluster at cfg.dask_address."""
    runner = fan_out_runner(resolve_workers(cfg.workers), cfg.dask_address)
    return simulate_real_hands_flow.with_options(task_runner=runner)(cfg)
