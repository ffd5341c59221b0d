"""The hand domain's built-in simulators (NYU layout), cut into frame ranges:

    synthetic   synthdepth renders (train/)
    real        the stand-in real Kinect (train/ and test/, other subjects in test/)

Each plans the ranges, submits one task per range (a local process pool or a Dask
cluster: every range's bytes depend on its own arguments only) and writes each split's
joint_data.mat from the ranges' joints. On a cluster, out_dir must be on storage every
worker writes to. `SIMULATORS` is what the simulate stage (flows/simulate.py) runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from simgan_core.hand.nyu_writer import (
    FrameRange,
    finish_splits,
    plan_real_kinect,
    plan_synthdepth,
    split_sizes,
    write_real_range,
    write_synthdepth_range,
)
from tasks.params_sources import SimulateHands, SimulateRealHands
from tasks.progress import Progress


# DVC decides what reruns (content hashes); Prefect caches nothing across runs.
@task(name="plan-synthdepth-ranges", cache_policy=NO_CACHE)
def plan_synthdepth_ranges(cfg: SimulateHands, workers: int) -> list[FrameRange]:
    """Check cfg, prepare out_dir/train; [start, stop) frame ranges, ~4 per worker."""
    return plan_synthdepth(Path(cfg.out_dir), cfg.n, cfg.seed, workers)


@task(name="render-synthdepth-range", cache_policy=NO_CACHE)
def render_synthdepth_range(cfg: SimulateHands, frames: FrameRange) -> np.ndarray:
    """synthdepth files frames.start+1 .. frames.stop, flushed on the worker; returns
    their (m, 36, 3) joints."""
    joints = write_synthdepth_range(Path(cfg.out_dir), cfg.seed, frames)
    os.sync()  # the worker's own machine: the flow's may be another
    return joints


@task(name="plan-real-hand-ranges", cache_policy=NO_CACHE)
def plan_real_hand_ranges(cfg: SimulateRealHands, workers: int) -> list[FrameRange]:
    """Check cfg, prepare out_dir/train and test; the frame ranges of both splits."""
    return plan_real_kinect(Path(cfg.out_dir), cfg.n, cfg.seed, cfg.test_fraction, workers)


@task(name="render-real-hand-range", cache_policy=NO_CACHE)
def render_real_hand_range(cfg: SimulateRealHands, frames: FrameRange) -> np.ndarray:
    """The stand-in Kinect's depth files of one range; returns their joints."""
    joints = write_real_range(Path(cfg.out_dir), cfg.seed,
                              split_sizes(cfg.n, cfg.test_fraction), frames)
    os.sync()
    return joints


@task(name="write-hand-joint-data", cache_policy=NO_CACHE)
def write_hand_joint_data(out_dir: str, ranges: list[FrameRange],
                          joints: list[np.ndarray]) -> dict[str, int]:
    """Each split's joint_data.mat (atomic); returns the frame count per split."""
    return finish_splits(Path(out_dir), ranges, joints)


def _render_frames(cfg: SimulateHands | SimulateRealHands, workers: int, plan: Task,
                   render: Task, stage: str) -> dict:
    """Plan the frame ranges, render one task per range, write joint_data.mat per split;
    the frame counts per split, their total and the tasks'."""
    ranges = plan(cfg, workers)
    futures = [render.submit(cfg, r) for r in ranges]
    progress = Progress(stage, sum(r.stop - r.start for r in ranges), "frames")
    for future in as_completed(futures):
        progress.advance(len(future.result()))
    joints = [f.result() for f in futures]  # in the ranges' order
    counts = write_hand_joint_data(cfg.out_dir, ranges, joints)
    return {**counts, "count": sum(counts.values()), "tasks": len(ranges)}


def simulate_hands(cfg: SimulateHands, workers: int, stage: str) -> dict:
    return _render_frames(cfg, workers, plan_synthdepth_ranges, render_synthdepth_range, stage)


def simulate_real_hands(cfg: SimulateRealHands, workers: int, stage: str) -> dict:
    return _render_frames(cfg, workers, plan_real_hand_ranges, render_real_hand_range, stage)


SIMULATORS = {"synthetic": simulate_hands, "real": simulate_real_hands}
