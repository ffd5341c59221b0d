"""The task that writes the images domain's example (simgan_core/images/example.py)."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from simgan_core.images.example import write_example
from tasks.params_sources import SimulateImages


@task(name="write-images-example", cache_policy=NO_CACHE)
def write_images_example(cfg: SimulateImages) -> dict[str, int]:
    """Both folders under cfg.out_dir; the image counts."""
    return write_example(Path(cfg.out_dir), cfg.n_synthetic, cfg.n_real, cfg.seed)
