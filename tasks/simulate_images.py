"""The images domain's example simulators (simgan_core/images/example.py): coloured
shapes with annotations (synthetic) and a stand-in camera (real), one task each.
`SIMULATORS` is what the simulate stage (flows/simulate.py) runs."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.images.example import write_camera, write_synthetic
from tasks.params_sources import SimulateImagesReal, SimulateImagesSynthetic


@task(name="write-images-synthetic", cache_policy=NO_CACHE)
def write_images_synthetic(cfg: SimulateImagesSynthetic) -> int:
    return write_synthetic(Path(cfg.out_dir), cfg.n, cfg.seed)


@task(name="write-images-camera", cache_policy=NO_CACHE)
def write_images_camera(cfg: SimulateImagesReal) -> int:
    return write_camera(Path(cfg.out_dir), cfg.n, cfg.seed)


def simulate_shapes(cfg: SimulateImagesSynthetic, workers: int, stage: str) -> dict:
    return {"count": write_images_synthetic(cfg), "tasks": 1}


def simulate_camera(cfg: SimulateImagesReal, workers: int, stage: str) -> dict:
    return {"count": write_images_camera(cfg), "tasks": 1}


SIMULATORS = {"synthetic": simulate_shapes, "real": simulate_camera}
