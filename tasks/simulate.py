"""Tasks that run the built-in simulators (each writes its own format, atomically)."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.gaze.mpiigaze_writer import simulate_mpiigaze
from simgan_core.gaze.unityeyes_writer import simulate_unityeyes
from tasks.params import SimulateEyes, SimulateRealEyes, resolve_workers


# DVC decides what reruns (content hashes); Prefect caches nothing across runs.
@task(name="render-unityeyes", cache_policy=NO_CACHE)
def render_unityeyes(cfg: SimulateEyes) -> dict:
    """Render cfg.n eye images + annotations into cfg.out_dir/imgs (UnityEyes layout)."""
    return simulate_unityeyes(
        Path(cfg.out_dir), n=cfg.n, seed=cfg.seed, width=cfg.width, height=cfg.height,
        workers=resolve_workers(cfg.workers), jpeg_quality=cfg.jpeg_quality,
    )


@task(name="render-real-eyes", cache_policy=NO_CACHE)
def render_real_eyes(cfg: SimulateRealEyes) -> dict:
    """Write the stand-in real camera's day files and evaluation lists (MPIIGaze layout)."""
    return simulate_mpiigaze(
        Path(cfg.out_dir), subjects=cfg.subjects, per_subject=cfg.per_subject, seed=cfg.seed,
        workers=resolve_workers(cfg.workers),
    )
