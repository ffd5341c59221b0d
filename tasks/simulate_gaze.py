"""The gaze domain's built-in simulators (each writes its own format, atomically):

    synthetic   UnityEyes-format renders: plan (check, create imgs/) -> one task per
                image range -> the count
    real        the stand-in real camera, MPIIGaze layout: plan (check, create the
                subject folders) -> one task per day file -> evaluation lists

`SIMULATORS` is what the simulate stage (flows/simulate.py) runs, inside its flow.
"""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from simgan_core.gaze.mpiigaze_writer import (
    DayPlan,
    plan_days,
    write_day,
    write_evaluation_lists,
)
from simgan_core.gaze.unityeyes_writer import (
    flush_to_disk,
    prepare_unityeyes,
    write_unityeyes_chunk,
)
from simgan_core.parallel import index_chunks, keep_freed_memory_in_workers
from tasks.params_sources import SimulateEyes, SimulateRealEyes
from tasks.progress import Progress

# The simulators cut into tasks: a fan-out flow submits one per chunk or day file, on a
# local process pool or a Dask cluster (every piece's bytes depend on its own arguments
# only). On a cluster, out_dir must be on storage every worker writes to. DVC decides
# what reruns (content hashes); Prefect caches nothing across runs.


TASK_MAX_IMAGES = 2048  # 12,000 images on 2 workers: 8 tasks of 1,500


@task(name="plan-unityeyes-chunks", cache_policy=NO_CACHE)
def plan_unityeyes_chunks(cfg: SimulateEyes, workers: int) -> list[tuple[int, int]]:
    """Check cfg, create out_dir/imgs; [start, stop) image ranges, ~4 per worker.

    Up to TASK_MAX_IMAGES a range (not index_chunks' 256): every task costs its own
    task-run records with the Prefect server, about as much time on 2 cores as
    rendering 250 images, so ranges of 256 would halve the stage's rate."""
    prepare_unityeyes(Path(cfg.out_dir), cfg.n, cfg.seed, cfg.width, cfg.height,
                      cfg.jpeg_quality)
    return index_chunks(cfg.n, workers, max_size=TASK_MAX_IMAGES)


@task(name="render-unityeyes-chunk", cache_policy=NO_CACHE)
def render_unityeyes_chunk(cfg: SimulateEyes, chunk: tuple[int, int]) -> int:
    """Images chunk[0]+1 .. chunk[1], flushed to disk on the worker; returns the count."""
    keep_freed_memory_in_workers()
    count = write_unityeyes_chunk(Path(cfg.out_dir), cfg.seed, cfg.width, cfg.height,
                                  cfg.jpeg_quality, chunk)
    flush_to_disk()  # the worker's own machine: the flow's may be another
    return count


@task(name="plan-real-eye-days", cache_policy=NO_CACHE)
def plan_real_eye_days(cfg: SimulateRealEyes) -> list[DayPlan]:
    """Check cfg, create the subject folders; every day file to write, largest first."""
    return plan_days(Path(cfg.out_dir), cfg.subjects, cfg.per_subject, cfg.seed)


@task(name="render-real-eye-day", cache_policy=NO_CACHE)
def render_real_eye_day(cfg: SimulateRealEyes, plan: DayPlan) -> int:
    """One day file (atomic, fsynced); returns its number of frames."""
    keep_freed_memory_in_workers()
    return write_day(Path(cfg.out_dir), cfg.seed, plan)


@task(name="write-real-eye-lists", cache_policy=NO_CACHE)
def write_real_eye_lists(cfg: SimulateRealEyes) -> None:
    write_evaluation_lists(Path(cfg.out_dir), cfg.subjects, cfg.per_subject, cfg.seed)


def simulate_eyes(cfg: SimulateEyes, workers: int, stage: str) -> dict:
    """The synthetic eyes, one task per image range; their count and the tasks'."""
    chunks = plan_unityeyes_chunks(cfg, workers)
    futures = [render_unityeyes_chunk.submit(cfg, c) for c in chunks]
    progress, count = Progress(stage, cfg.n, "images"), 0
    for future in as_completed(futures):
        done = future.result()
        count += done
        progress.advance(done)
    return {"count": count, "tasks": len(chunks)}


def simulate_real_eyes(cfg: SimulateRealEyes, workers: int, stage: str) -> dict:
    """The stand-in camera, one task per day file (each frame gives two eye crops)."""
    days = plan_real_eye_days(cfg)
    futures = [render_real_eye_day.submit(cfg, d) for d in days]
    progress = Progress(stage, sum(len(d.frames) for d in days), "frames")
    frames = 0
    for future in as_completed(futures):
        done = future.result()
        frames += done
        progress.advance(done)
    write_real_eye_lists(cfg)
    return {"subjects": cfg.subjects, "frames": frames, "count": 2 * frames,
            "tasks": len(days)}


SIMULATORS = {"synthetic": simulate_eyes, "real": simulate_real_eyes}
